"""The session secret as bytes: what signs applicant tokens and seals TOTP keys."""

from __future__ import annotations

import base64
import binascii
import logging
import os

log = logging.getLogger(__name__)


def secret_bytes(text: str) -> bytes:
    """The configured secret (base64, or plain text); random when not configured."""
    if not text:
        log.warning("no TONGBAN_SESSION_SECRET: applicant tokens and TOTP enrolments die with this process")
        return os.urandom(32)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()
