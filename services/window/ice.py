"""ICE on a machine without a network, and STUN/TURN from configuration only.

aioice leaves 127.0.0.1 out of its host candidates (RFC 8445 keeps loopback for same-host
use only). The local stack and the tests run every peer on this machine, so they make
127.0.0.1 the only host candidate, explicitly, with `use_loopback_ice()`. Deployments leave
it off and configure STUN/TURN.

aiortc falls back to Google's public STUN server when a configuration has no `iceServers`;
`rtc_configuration` always passes a list, empty unless servers are configured.
"""

from __future__ import annotations

from collections.abc import Callable

from aioice import ice
from aiortc import RTCConfiguration, RTCIceServer

from services.shared import turn

_AIOICE_HOST_ADDRESSES = ice.get_host_addresses


def _loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


def use_loopback_ice(enabled: bool = True) -> None:
    """Host candidates become exactly 127.0.0.1 for every peer connection of this process
    (aioice reads its host addresses through this module function), or aioice's own choice
    again with `enabled=False`."""
    ice.get_host_addresses = _loopback_only if enabled else _AIOICE_HOST_ADDRESSES


def rtc_configuration(urls: list[str], username: str = "", credential: str = "") -> RTCConfiguration:
    """STUN/TURN servers from configuration (`stun:host:port`, `turn:host:port?transport=udp`,
    `turns:…`); none by default, so nothing ever reaches a public server."""
    servers = [
        RTCIceServer(urls=url, username=username or None, credential=credential or None) for url in urls
    ]
    return RTCConfiguration(iceServers=servers)


def ice_configuration(
    urls: list[str], turn_secret: str = "", ttl_s: float = turn.DEFAULT_TTL_S
) -> Callable[[], RTCConfiguration]:
    """What each new peer connection is configured with. With a TURN secret (TURN's REST
    scheme, see services/shared/turn.py) every call makes a fresh credential, so a
    long-running service never holds an expired one."""
    if not turn_secret:
        plain = rtc_configuration(urls)
        return lambda: plain

    def fresh() -> RTCConfiguration:
        minted = turn.credential(turn_secret, "window", ttl_s)
        return rtc_configuration(urls, minted.username, minted.credential)

    return fresh
