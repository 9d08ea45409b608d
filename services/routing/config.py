"""The routing service's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.routing.domain import RoutingConfig
from services.shared.settings import CommonSettings, positive, setting


@dataclass(frozen=True, kw_only=True)
class RoutingSettings(CommonSettings):
    routing_data_dir: str = setting("faust's local data folder", ".stack/routing")
    reservation_timeout_s: float = setting("seconds an official has to accept", 30.0, positive)
    wrap_up_s: float = setting("seconds of wrap-up after a case", 30.0, positive)
    priority_bonus_s: float = setting("head start of a priority case (aging)", 300.0, positive)
    widen_after_s: float = setting("wait before matching widens to generalists", 120.0, positive)
    sla_after_s: float = setting("wait before queue.sla_breached", 600.0, positive)
    tick_interval_s: float = setting("how often timers are checked (seconds)", 1.0, positive)
    worker_name: str = setting("consumer group of the routing workers", "tongban-routing")

    def routing(self) -> RoutingConfig:
        return RoutingConfig(
            reservation_timeout_s=self.reservation_timeout_s,
            wrap_up_s=self.wrap_up_s,
            priority_bonus_s=self.priority_bonus_s,
            widen_after_s=self.widen_after_s,
            sla_after_s=self.sla_after_s,
        )
