"""gRPC `tongban.window.v1.WindowService` and the window events: windows open on
case.assigned (or OpenWindow), parties join with their seat's token, and every step is an
event on tongban.window."""

from __future__ import annotations

import logging
import time
from typing import Any

import grpc

from services.shared import cloudevents, errors, filetypes
from services.shared.cloudevents import Envelope
from services.shared.errors import FieldViolation, ValidationFailed, grpc_errors
from services.shared.publisher import EventPublisher
from services.window import hooks, tokens
from services.window.media import InvalidSdp, UnknownWindow, Window, WindowClosed, WindowMedia
from tongban.events.v1 import events_pb2
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2, window_pb2_grpc

log = logging.getLogger(__name__)
ROLES = {
    "applicant": types_pb2.SEAT_ROLE_APPLICANT,
    "official": types_pb2.SEAT_ROLE_OFFICIAL,
    "clerk": types_pb2.SEAT_ROLE_CLERK,
    "interpreter": types_pb2.SEAT_ROLE_INTERPRETER,
    "second_official": types_pb2.SEAT_ROLE_SECOND_OFFICIAL,
}
ROLE_NAMES = {value: name for name, value in ROLES.items()}


class WindowService(window_pb2_grpc.WindowServiceServicer):
    def __init__(
        self,
        media: WindowMedia,
        publisher: EventPublisher,
        secret: bytes,
        token_ttl_s: float,
        intake_addr: str,
    ) -> None:
        self.media = media
        self.publisher = publisher
        self.secret = secret
        self.token_ttl_s = token_ttl_s
        self.used_tokens = tokens.UsedTokens(token_ttl_s)
        self.intake_addr = intake_addr
        self.by_case: dict[str, str] = {}
        self.assignments: dict[str, None] = {}  # recent case.assigned ids, oldest first
        media.on_event = self.on_media_event

    # ------------------------------------------------------------ events

    async def on_media_event(self, event: hooks.WindowEvent) -> None:
        window = event.window
        common: dict[str, Any] = {"case_id": window.case_id, "window_id": window.id}
        proto: Any = None
        match event:
            case hooks.PartyJoined(seat=seat):
                proto = events_pb2.WindowPartyJoined(**common, seat=ROLES[seat])
            case hooks.PartyRejoined(seat=seat, away_s=away):
                proto = events_pb2.WindowPartyRejoined(**common, seat=ROLES[seat], away_seconds=away)
            case hooks.PartyLeft(seat=seat, reason=reason):
                proto = events_pb2.WindowPartyLeft(**common, seat=ROLES[seat], reason=reason)
            case hooks.Connected(setup_ms=setup_ms):
                proto = events_pb2.WindowConnected(**common, setup_ms=setup_ms)
            case hooks.MediaStats():
                proto = events_pb2.WindowMediaStats(
                    **common,
                    seat=ROLES[event.seat],
                    rtt_ms=event.rtt_ms or 0.0,
                    packet_loss=event.packet_loss,
                    jitter_ms=event.jitter_ms,
                    bitrate_kbps=event.bitrate_kbps,
                    frame_rate=event.frame_rate,
                )
            case hooks.Closed(reason=reason, duration_s=duration):
                proto = events_pb2.WindowClosed(**common, reason=reason, duration_seconds=duration)
            case hooks.RecordingStored(recording=recording):
                proto = events_pb2.WindowRecordingStored(
                    **common,
                    location=str(recording.path),
                    sha256=recording.sha256,
                    duration_seconds=recording.duration_s,
                    size=recording.size,
                )
            case hooks.DocumentSnapshot():
                await self.on_snapshot(window, event.snapshot.content_type, event.snapshot.data)
            case hooks.WindowMessage():
                log.info(
                    "window message",
                    extra={"case_id": window.case_id, "seat": event.seat, "kind": event.kind},
                )
        if proto is not None:
            await self.publisher.publish(cloudevents.stamp(proto))

    async def on_snapshot(self, window: Window, content_type: str, data: bytes) -> None:
        """A document-camera image becomes a material of the case in intake."""
        try:
            async with grpc.aio.insecure_channel(self.intake_addr) as channel:
                stub = intake_pb2_grpc.IntakeServiceStub(channel)
                application = (
                    await stub.GetApplication(
                        intake_pb2.GetApplicationRequest(case_id=window.case_id), timeout=5
                    )
                ).application
                missing = list(application.missing_materials) or ["id_card"]
                header = intake_pb2.UploadHeader(
                    case_id=window.case_id,
                    material_code=missing[0],
                    file_name=f"document-camera.{filetypes.EXTENSIONS.get(content_type, 'jpg')}",
                    source="document_camera",
                )
                await stub.UploadMaterial(
                    iter([intake_pb2.UploadMaterialRequest(header=header, data=data)]), timeout=10
                )
        except grpc.RpcError as error:
            log.warning("snapshot not stored", extra={"case_id": window.case_id, "error": str(error.code())})

    async def on_assigned(self, envelope: Envelope) -> None:
        """case.assigned opens the case's window, unless one is open: once per assignment
        (a case assigned again after 补正 meets in a new window, recorded on its own)."""
        event: Any = envelope.event
        if envelope.id in self.assignments:
            return  # a redelivered assignment
        self.assignments[envelope.id] = None
        while len(self.assignments) > 10_000:
            del self.assignments[next(iter(self.assignments))]
        await self._open(event.case_id, event.official_id, None)

    # ------------------------------------------------------------ RPCs

    async def _open(self, case_id: str, official_id: str, third: str | None) -> Window:
        existing = self.media.windows.get(self.by_case.get(case_id, ""))
        if existing is not None:
            return existing
        window = self.media.open(
            ["applicant", "official", *([third] if third else [])], case_id=case_id, official_id=official_id
        )
        self.by_case[case_id] = window.id
        await self.publisher.publish(
            cloudevents.stamp(
                events_pb2.WindowOpened(
                    case_id=case_id,
                    window_id=window.id,
                    official_id=official_id,
                    seats=[ROLES[r] for r in window.seats],
                )
            )
        )
        return window

    def _window_pb(self, window: Window, with_tokens: bool) -> window_pb2.Window:
        now = time.time()
        return window_pb2.Window(
            id=window.id,
            case_id=window.case_id,
            official_id=window.official_id,
            state=window.state,
            close_reason=window.close_reason,
            seats=[
                window_pb2.Seat(
                    role=ROLES[role],
                    connected=window.parties[role].connected,
                    join_token=tokens.issue(self.secret, window.id, role, self.token_ttl_s, now)
                    if with_tokens
                    else "",
                )
                for role in window.seats
            ],
        )

    @grpc_errors
    async def OpenWindow(
        self, request: window_pb2.OpenWindowRequest, context: Any
    ) -> window_pb2.OpenWindowResponse:
        """Idempotent per case: the open window's seats with fresh tokens."""
        if not request.case_id or not request.official_id:
            raise ValidationFailed(
                [
                    FieldViolation(f, "REQUIRED", f"缺少 {f}", f"{f} is required")
                    for f in ("case_id", "official_id")
                    if not getattr(request, f)
                ]
            )
        third = ROLE_NAMES.get(request.third_party) if request.third_party else None
        if third in {"applicant", "official"}:
            raise ValidationFailed(
                [
                    FieldViolation(
                        "third_party",
                        "BAD_ROLE",
                        "第三方席位无效",
                        "the third seat is a clerk, interpreter or second official",
                    )
                ]
            )
        window = await self._open(request.case_id, request.official_id, third)
        return window_pb2.OpenWindowResponse(window=self._window_pb(window, with_tokens=True))

    @grpc_errors
    async def Join(self, request: window_pb2.JoinRequest, context: Any) -> window_pb2.JoinResponse:
        window = self.media.get(request.window_id)
        if window is None:
            raise errors.not_found("视频窗口", "window")
        try:
            role = tokens.check(self.secret, request.join_token, window.id)
            self.used_tokens.claim(request.join_token)
        except tokens.TokenError as error:
            raise errors.permission_denied(
                "入席凭证无效、已过期或已使用", f"join token refused: {error}"
            ) from None
        try:
            answer = await self._offer(window, role, request.sdp)
        except BaseException:
            self.used_tokens.release(request.join_token)  # a refused offer leaves it usable
            raise
        return window_pb2.JoinResponse(sdp=answer, role=ROLES[role])

    async def _offer(self, window: Window, role: str, sdp: str) -> str:
        try:
            return await self.media.offer(window.id, role, sdp)
        except InvalidSdp as error:
            raise ValidationFailed(
                [FieldViolation("sdp", "MALFORMED", "SDP 格式错误", f"the SDP offer is malformed: {error}")]
            ) from None
        except WindowClosed:
            raise errors.failed_precondition("视频窗口已关闭", "the window is closed") from None
        except UnknownWindow:
            raise errors.not_found("视频窗口", "window") from None

    @grpc_errors
    async def CloseWindow(
        self, request: window_pb2.CloseWindowRequest, context: Any
    ) -> window_pb2.CloseWindowResponse:
        window = self.media.get(request.window_id)
        if window is None:
            raise errors.not_found("视频窗口", "window")
        await self.media.close(window.id, request.reason or "completed")
        return window_pb2.CloseWindowResponse(window=self._window_pb(window, with_tokens=False))

    @grpc_errors
    async def GetWindow(
        self, request: window_pb2.GetWindowRequest, context: Any
    ) -> window_pb2.GetWindowResponse:
        window_id = request.window_id or self.by_case.get(request.case_id, "")
        window = self.media.get(window_id)
        if window is None:
            raise errors.not_found("视频窗口", "window")
        return window_pb2.GetWindowResponse(window=self._window_pb(window, with_tokens=False))
