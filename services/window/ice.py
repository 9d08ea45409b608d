"""ICE on a machine without a network, and STUN/TURN from configuration only.

aioice leaves 127.0.0.1 out of its host candidates (RFC 8445 keeps loopback for same-host
use only). The local stack and the tests run every peer on this machine, so they restrict
host candidates to loopback explicitly. Deployments leave this off and configure TURN.
"""

from __future__ import annotations

from aioice import ice
from aiortc import RTCConfiguration, RTCIceServer

_original = ice.get_host_addresses


def use_loopback_ice(enabled: bool = True) -> None:
    """Host candidates become exactly 127.0.0.1 (or aioice's own choice again)."""
    if enabled:
        ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    else:
        ice.get_host_addresses = _original


def rtc_configuration(urls: list[str], username: str = "", credential: str = ""
                      ) -> RTCConfiguration:
    """No servers unless configured: nothing ever reaches a public STUN server by default."""
    servers = [RTCIceServer(urls=url, username=username or None, credential=credential or None)
               for url in urls]
    return RTCConfiguration(iceServers=servers)
