"""The window service's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.shared.settings import CommonSettings, positive, setting


@dataclass(frozen=True, kw_only=True)
class WindowSettings(CommonSettings):
    join_secret: str = setting("HMAC secret (base64) for seat join tokens", "")
    join_token_ttl_s: float = setting("how long a join token is valid (seconds)", 900.0, positive)
    grace_s: float = setting("how long a dropped party may take to rejoin", 60.0, positive)
    stats_interval_s: float = setting("seconds between window.media_stats", 5.0, positive)
    recordings_dir: str = setting("folder for window recordings", ".stack/recordings")
    ice_servers: list[str] = setting("STUN/TURN URLs; none by default", [])
    turn_secret: str = setting(
        "TURN's REST secret (coturn --static-auth-secret): fresh credentials per connection", ""
    )
    loopback_ice: bool = setting("offer 127.0.0.1 host candidates (one-machine stacks)", False)
    intake_addr: str = setting("intake gRPC address (document-camera snapshots)", "127.0.0.1:7051")
    open_on_assignment: bool = setting("open a window when a case is assigned", True)
