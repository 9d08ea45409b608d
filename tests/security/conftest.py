"""The security tests' real stack: the gateway tests' own fixtures (four services as
processes and a gateway, in a topic namespace of their own), started once for this package."""

from __future__ import annotations

from tests.gateway.conftest import province, provinces, stack

__all__ = ["province", "provinces", "stack"]
