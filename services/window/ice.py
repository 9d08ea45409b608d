"""ICE on a machine without a network, STUN/TURN from configuration only, and which
addresses a party may make the window send to.

aioice leaves 127.0.0.1 out of its host candidates (RFC 8445 keeps loopback for same-host
use only). The local stack and the tests run every peer on this machine, so they make
127.0.0.1 the only host candidate, explicitly, with `use_loopback_ice()`. Deployments leave
it off and configure STUN/TURN.

aiortc falls back to Google's public STUN server when a configuration has no `iceServers`;
`rtc_configuration` always passes a list, empty unless servers are configured.

A party's offer lists the addresses the window then sends ICE checks to, so an offer could
aim the window at anything on its network. Outside dev the window is relay-only
(`relay_only=True`: it gathers only TURN relay candidates and every packet leaves through
TURN, whose denied peers and NetworkPolicy decide where it may go), and
`screen_remote_candidates` drops, before aioice sees them, candidates at private,
link-local, loopback, carrier-NAT, multicast, reserved and unspecified addresses, and mDNS
names; relay candidates stay (they are reached only through our own TURN). In dev (loopback
ICE, no TURN) loopback stays and relay candidates are screened like the others, since the
window would send to them directly.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from aioice import Candidate, ice
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

from services.shared import turn

log = logging.getLogger(__name__)
_AIOICE_ADD_REMOTE = ice.Connection.add_remote_candidate
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not "private" to Python

_AIOICE_HOST_ADDRESSES = ice.get_host_addresses


def _loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


def use_loopback_ice(enabled: bool = True) -> None:
    """Host candidates become exactly 127.0.0.1 for every peer connection of this process
    (aioice reads its host addresses through this module function), or aioice's own choice
    again with `enabled=False`."""
    ice.get_host_addresses = _loopback_only if enabled else _AIOICE_HOST_ADDRESSES


def rtc_configuration(
    urls: list[str], username: str = "", credential: str = "", relay_only: bool = False
) -> RTCConfiguration:
    """STUN/TURN servers from configuration (`stun:host:port`, `turn:host:port?transport=udp`,
    `turns:…`); none by default, so nothing ever reaches a public server. `relay_only`:
    only TURN relay candidates, so every packet leaves through TURN."""
    servers = [
        RTCIceServer(urls=url, username=username or None, credential=credential or None) for url in urls
    ]
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


def ice_configuration(
    urls: list[str], turn_secret: str = "", ttl_s: float = turn.DEFAULT_TTL_S, relay_only: bool = False
) -> Callable[[], RTCConfiguration]:
    """What each new peer connection is configured with. With a TURN secret (TURN's REST
    scheme, see services/shared/turn.py) every call makes a fresh credential, so a
    long-running service never holds an expired one. Relay-only needs a TURN URL."""
    if relay_only and not any(url.startswith(("turn:", "turns:")) for url in urls):
        raise ValueError(
            "relay-only ICE (outside dev) needs a TURN server: set TONGBAN_ICE_SERVERS to a turn: URL"
            " and TONGBAN_TURN_SECRET, or TONGBAN_LOOPBACK_ICE=true on a one-machine stack"
        )
    if not turn_secret:
        plain = rtc_configuration(urls, relay_only=relay_only)
        return lambda: plain

    def fresh() -> RTCConfiguration:
        minted = turn.credential(turn_secret, "window", ttl_s)
        return rtc_configuration(urls, minted.username, minted.credential, relay_only)

    return fresh


def refusal(candidate: Candidate, *, relay_only: bool, allow_loopback: bool) -> str | None:
    """Why a party's candidate is dropped, or None to keep it."""
    if relay_only and candidate.type == "relay":
        return None  # reached through our own TURN allocation: TURN's denied peers decide
    host = candidate.host
    if host.endswith(".local"):
        return "mDNS name (a local network's host)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED):
        return "private"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "not a unicast host"
    return None


def screen_remote_candidates(*, relay_only: bool, allow_loopback: bool) -> None:
    """Every peer connection of this process drops the candidates `refusal` names before
    aioice forms a single check with them (aioice reads remote candidates through
    `Connection.add_remote_candidate`, which this wraps, for offers and trickle alike)."""

    async def screened(self: ice.Connection, remote_candidate: Candidate | None) -> Any:
        if remote_candidate is not None:
            why = refusal(remote_candidate, relay_only=relay_only, allow_loopback=allow_loopback)
            if why is not None:
                log.warning(
                    "remote ICE candidate dropped",
                    extra={"candidate": f"{remote_candidate.type} {remote_candidate.host}", "why": why},
                )
                return None
        return await _AIOICE_ADD_REMOTE(self, remote_candidate)

    ice.Connection.add_remote_candidate = screened  # type: ignore[method-assign]


def stop_screening() -> None:
    """aioice's own behaviour again (tests that screen in-process)."""
    ice.Connection.add_remote_candidate = _AIOICE_ADD_REMOTE  # type: ignore[method-assign]
