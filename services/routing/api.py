"""gRPC `tongban.routing.v1.RoutingService`: every call becomes a command answered by the
worker that owns the province (faust's ask)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from services.routing.domain import PRESENCE
from services.shared.catalog import load_catalog
from services.shared.errors import FieldViolation, ServiceError, ValidationFailed, grpc_errors
from tongban.routing.v1 import routing_pb2, routing_pb2_grpc

Ask = Callable[..., Awaitable[dict[str, Any]]]
CODES = {
    "UNKNOWN_OFFICIAL": grpc.StatusCode.INVALID_ARGUMENT,
    "BAD_PRESENCE": grpc.StatusCode.INVALID_ARGUMENT,
    "NOT_YOURS": grpc.StatusCode.PERMISSION_DENIED,
    "EXPIRED": grpc.StatusCode.FAILED_PRECONDITION,
    "BUSY": grpc.StatusCode.FAILED_PRECONDITION,
    "NOT_ASSIGNED": grpc.StatusCode.FAILED_PRECONDITION,
    "UNKNOWN": grpc.StatusCode.NOT_FOUND,
}
PRESENCE_NAMES = {value: name for name, value in PRESENCE.items()}


def official_pb(view: dict[str, Any]) -> routing_pb2.Official:
    return routing_pb2.Official(
        id=view["id"],
        province=view["province"],
        department=view["department"],
        skills=view["skills"],
        languages=view["languages"],
        presence=PRESENCE[view["presence"]],
        away_reason=view["away_reason"],
        case_id=view["case_id"],
        reservation_id=view["reservation_id"],
        reservation_expires_at=view["reservation_expires_at"],
        display_name=view["display_name"],
    )


class RoutingApi(routing_pb2_grpc.RoutingServiceServicer):
    def __init__(self, ask: Ask) -> None:
        self._ask = ask
        self.provinces = {p.code for p in load_catalog().provinces()}

    async def ask(self, kind: str, province: str, **fields: Any) -> dict[str, Any]:
        if province not in self.provinces:
            raise ValidationFailed(
                [
                    FieldViolation(
                        "province", "UNKNOWN", "省级行政区划代码不存在", f"unknown province {province!r}"
                    )
                ]
            )
        answer = await self._ask(kind, province, **fields)
        if "error" in answer:
            raise ServiceError(
                CODES.get(answer["error"], grpc.StatusCode.FAILED_PRECONDITION),
                answer["message_zh"],
                answer["message_en"],
                reason=answer["error"],
            )
        return answer

    @staticmethod
    def _need(**values: str) -> None:
        missing = [
            FieldViolation(name, "REQUIRED", f"缺少 {name}", f"{name} is required")
            for name, value in values.items()
            if not value
        ]
        if missing:
            raise ValidationFailed(missing)

    @grpc_errors
    async def RegisterOfficial(
        self, request: routing_pb2.RegisterOfficialRequest, context: Any
    ) -> routing_pb2.RegisterOfficialResponse:
        o = request.official
        self._need(id=o.id, department=o.department)
        answer = await self.ask(
            "register",
            o.province,
            official_id=o.id,
            department=o.department,
            skills=list(o.skills) or [o.department],
            languages=list(o.languages) or ["zh"],
            display_name=o.display_name,
        )
        return routing_pb2.RegisterOfficialResponse(official=official_pb(answer["official"]))

    @grpc_errors
    async def SetPresence(
        self, request: routing_pb2.SetPresenceRequest, context: Any
    ) -> routing_pb2.SetPresenceResponse:
        self._need(official_id=request.official_id)
        presence = PRESENCE_NAMES.get(request.presence)
        if presence is None:
            raise ValidationFailed(
                [FieldViolation("presence", "REQUIRED", "请选择状态", "presence is required")]
            )
        answer = await self.ask(
            "presence",
            request.province,
            official_id=request.official_id,
            presence=presence,
            reason=request.reason,
        )
        return routing_pb2.SetPresenceResponse(official=official_pb(answer["official"]))

    @grpc_errors
    async def AcceptReservation(
        self, request: routing_pb2.AcceptReservationRequest, context: Any
    ) -> routing_pb2.AcceptReservationResponse:
        self._need(official_id=request.official_id, reservation_id=request.reservation_id)
        answer = await self.ask(
            "accept", request.province, official_id=request.official_id, reservation_id=request.reservation_id
        )
        return routing_pb2.AcceptReservationResponse(case_id=answer["case_id"])

    @grpc_errors
    async def RejectReservation(
        self, request: routing_pb2.RejectReservationRequest, context: Any
    ) -> routing_pb2.RejectReservationResponse:
        self._need(official_id=request.official_id, reservation_id=request.reservation_id)
        await self.ask(
            "reject",
            request.province,
            official_id=request.official_id,
            reservation_id=request.reservation_id,
            reason=request.reason,
        )
        return routing_pb2.RejectReservationResponse()

    @grpc_errors
    async def FinishCase(
        self, request: routing_pb2.FinishCaseRequest, context: Any
    ) -> routing_pb2.FinishCaseResponse:
        self._need(official_id=request.official_id, case_id=request.case_id)
        await self.ask("finish", request.province, official_id=request.official_id, case_id=request.case_id)
        return routing_pb2.FinishCaseResponse()

    @grpc_errors
    async def GetOfficial(
        self, request: routing_pb2.GetOfficialRequest, context: Any
    ) -> routing_pb2.GetOfficialResponse:
        self._need(official_id=request.official_id)
        answer = await self.ask("official", request.province, official_id=request.official_id)
        return routing_pb2.GetOfficialResponse(official=official_pb(answer["official"]))

    @grpc_errors
    async def GetQueuePosition(
        self, request: routing_pb2.GetQueuePositionRequest, context: Any
    ) -> routing_pb2.GetQueuePositionResponse:
        self._need(case_id=request.case_id)
        answer = await self.ask("position", request.province, case_id=request.case_id)
        return routing_pb2.GetQueuePositionResponse(
            position=answer["position"],
            estimated_wait_seconds=answer["eta"],
            state=answer["state"],
            official_id=answer["official_id"],
        )

    @grpc_errors
    async def ListQueues(
        self, request: routing_pb2.ListQueuesRequest, context: Any
    ) -> routing_pb2.ListQueuesResponse:
        provinces = [request.province] if request.province else sorted(self.provinces)
        queues: list[routing_pb2.QueueSummary] = []
        for province in provinces:
            answer = await self.ask("queues", province)
            queues += [
                routing_pb2.QueueSummary(
                    province=province,
                    department=q["department"],
                    depth=q["depth"],
                    oldest_wait_seconds=q["oldest_wait_seconds"],
                    available_officials=q["available_officials"],
                )
                for q in answer["queues"]
            ]
        return routing_pb2.ListQueuesResponse(queues=queues)
