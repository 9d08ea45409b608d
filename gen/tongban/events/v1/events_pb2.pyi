import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tongban.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApplicationCreated(_message.Message):
    __slots__ = ("case_id", "occurred_at", "hall_id", "hall_province", "target_province", "matter_code", "department", "applicant", "needs")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    NEEDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    hall_id: str
    hall_province: str
    target_province: str
    matter_code: str
    department: str
    applicant: _types_pb2.MaskedApplicant
    needs: _types_pb2.SpecialNeeds
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hall_id: _Optional[str] = ..., hall_province: _Optional[str] = ..., target_province: _Optional[str] = ..., matter_code: _Optional[str] = ..., department: _Optional[str] = ..., applicant: _Optional[_Union[_types_pb2.MaskedApplicant, _Mapping]] = ..., needs: _Optional[_Union[_types_pb2.SpecialNeeds, _Mapping]] = ...) -> None: ...

class MaterialUploaded(_message.Message):
    __slots__ = ("case_id", "occurred_at", "material_id", "material_code", "content_type", "size", "sha256", "source")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_ID_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_CODE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    material_id: str
    material_code: str
    content_type: str
    size: int
    sha256: str
    source: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., material_id: _Optional[str] = ..., material_code: _Optional[str] = ..., content_type: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class ApplicationSubmitted(_message.Message):
    __slots__ = ("case_id", "occurred_at", "target_province", "hall_province", "matter_code", "department", "needs", "accepted_with_deficiency", "missing_materials", "time_limit_working_days", "resubmission", "hall_id", "submission_round")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    NEEDS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_WITH_DEFICIENCY_FIELD_NUMBER: _ClassVar[int]
    MISSING_MATERIALS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    RESUBMISSION_FIELD_NUMBER: _ClassVar[int]
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ROUND_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    target_province: str
    hall_province: str
    matter_code: str
    department: str
    needs: _types_pb2.SpecialNeeds
    accepted_with_deficiency: bool
    missing_materials: _containers.RepeatedScalarFieldContainer[str]
    time_limit_working_days: int
    resubmission: bool
    hall_id: str
    submission_round: int
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., target_province: _Optional[str] = ..., hall_province: _Optional[str] = ..., matter_code: _Optional[str] = ..., department: _Optional[str] = ..., needs: _Optional[_Union[_types_pb2.SpecialNeeds, _Mapping]] = ..., accepted_with_deficiency: _Optional[bool] = ..., missing_materials: _Optional[_Iterable[str]] = ..., time_limit_working_days: _Optional[int] = ..., resubmission: _Optional[bool] = ..., hall_id: _Optional[str] = ..., submission_round: _Optional[int] = ...) -> None: ...

class ApplicationCancelled(_message.Message):
    __slots__ = ("case_id", "occurred_at", "reason", "target_province")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    reason: str
    target_province: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., target_province: _Optional[str] = ...) -> None: ...

class CaseQueued(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "department", "position", "estimated_wait_seconds", "requeued", "priority")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEUED_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    department: str
    position: int
    estimated_wait_seconds: int
    requeued: bool
    priority: bool
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., department: _Optional[str] = ..., position: _Optional[int] = ..., estimated_wait_seconds: _Optional[int] = ..., requeued: _Optional[bool] = ..., priority: _Optional[bool] = ...) -> None: ...

class CaseReserved(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "reservation_id", "official_id", "expires_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    reservation_id: str
    official_id: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., reservation_id: _Optional[str] = ..., official_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationAccepted(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "reservation_id", "official_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    reservation_id: str
    official_id: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., reservation_id: _Optional[str] = ..., official_id: _Optional[str] = ...) -> None: ...

class ReservationRejected(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "reservation_id", "official_id", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    reservation_id: str
    official_id: str
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., reservation_id: _Optional[str] = ..., official_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReservationTimedOut(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "reservation_id", "official_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    reservation_id: str
    official_id: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., reservation_id: _Optional[str] = ..., official_id: _Optional[str] = ...) -> None: ...

class CaseAssigned(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "official_id", "waited_seconds")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    WAITED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    official_id: str
    waited_seconds: float
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., official_id: _Optional[str] = ..., waited_seconds: _Optional[float] = ...) -> None: ...

class QueuePositionChanged(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "position", "estimated_wait_seconds")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    position: int
    estimated_wait_seconds: int
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., position: _Optional[int] = ..., estimated_wait_seconds: _Optional[int] = ...) -> None: ...

class QueueSlaBreached(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "department", "waited_seconds")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    WAITED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    department: str
    waited_seconds: float
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., department: _Optional[str] = ..., waited_seconds: _Optional[float] = ...) -> None: ...

class OfficialStateChanged(_message.Message):
    __slots__ = ("case_id", "occurred_at", "province", "official_id", "presence", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    province: str
    official_id: str
    presence: _types_pb2.Presence
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., official_id: _Optional[str] = ..., presence: _Optional[_Union[_types_pb2.Presence, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class WindowOpened(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "seats", "official_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    seats: _containers.RepeatedScalarFieldContainer[_types_pb2.SeatRole]
    official_id: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., seats: _Optional[_Iterable[_Union[_types_pb2.SeatRole, str]]] = ..., official_id: _Optional[str] = ...) -> None: ...

class WindowPartyJoined(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "seat")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    seat: _types_pb2.SeatRole
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., seat: _Optional[_Union[_types_pb2.SeatRole, str]] = ...) -> None: ...

class WindowConnected(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "setup_ms")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    SETUP_MS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    setup_ms: float
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., setup_ms: _Optional[float] = ...) -> None: ...

class WindowMediaStats(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "seat", "rtt_ms", "packet_loss", "jitter_ms", "bitrate_kbps", "frame_rate")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_FIELD_NUMBER: _ClassVar[int]
    RTT_MS_FIELD_NUMBER: _ClassVar[int]
    PACKET_LOSS_FIELD_NUMBER: _ClassVar[int]
    JITTER_MS_FIELD_NUMBER: _ClassVar[int]
    BITRATE_KBPS_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    seat: _types_pb2.SeatRole
    rtt_ms: float
    packet_loss: float
    jitter_ms: float
    bitrate_kbps: float
    frame_rate: float
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., seat: _Optional[_Union[_types_pb2.SeatRole, str]] = ..., rtt_ms: _Optional[float] = ..., packet_loss: _Optional[float] = ..., jitter_ms: _Optional[float] = ..., bitrate_kbps: _Optional[float] = ..., frame_rate: _Optional[float] = ...) -> None: ...

class WindowPartyLeft(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "seat", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    seat: _types_pb2.SeatRole
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., seat: _Optional[_Union[_types_pb2.SeatRole, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class WindowPartyRejoined(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "seat", "away_seconds")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_FIELD_NUMBER: _ClassVar[int]
    AWAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    seat: _types_pb2.SeatRole
    away_seconds: float
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., seat: _Optional[_Union[_types_pb2.SeatRole, str]] = ..., away_seconds: _Optional[float] = ...) -> None: ...

class WindowClosed(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "reason", "duration_seconds")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    reason: str
    duration_seconds: float
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., reason: _Optional[str] = ..., duration_seconds: _Optional[float] = ...) -> None: ...

class WindowRecordingStored(_message.Message):
    __slots__ = ("case_id", "occurred_at", "window_id", "location", "sha256", "duration_seconds", "size")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    window_id: str
    location: str
    sha256: str
    duration_seconds: float
    size: int
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_id: _Optional[str] = ..., location: _Optional[str] = ..., sha256: _Optional[str] = ..., duration_seconds: _Optional[float] = ..., size: _Optional[int] = ...) -> None: ...

class DecisionRecorded(_message.Message):
    __slots__ = ("case_id", "occurred_at", "official_id", "outcome", "result_kind", "certificate_number", "reason_code", "legal_basis", "supplements", "transfer_to", "province")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RESULT_KIND_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    SUPPLEMENTS_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_TO_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    official_id: str
    outcome: _types_pb2.DecisionOutcome
    result_kind: str
    certificate_number: str
    reason_code: str
    legal_basis: str
    supplements: _containers.RepeatedScalarFieldContainer[str]
    transfer_to: str
    province: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., official_id: _Optional[str] = ..., outcome: _Optional[_Union[_types_pb2.DecisionOutcome, str]] = ..., result_kind: _Optional[str] = ..., certificate_number: _Optional[str] = ..., reason_code: _Optional[str] = ..., legal_basis: _Optional[str] = ..., supplements: _Optional[_Iterable[str]] = ..., transfer_to: _Optional[str] = ..., province: _Optional[str] = ...) -> None: ...

class ResultIssued(_message.Message):
    __slots__ = ("case_id", "occurred_at", "method", "certificate_number")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    method: _types_pb2.DeliveryMethod
    certificate_number: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., method: _Optional[_Union[_types_pb2.DeliveryMethod, str]] = ..., certificate_number: _Optional[str] = ...) -> None: ...

class ResultDelivered(_message.Message):
    __slots__ = ("case_id", "occurred_at", "method", "reference")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    method: _types_pb2.DeliveryMethod
    reference: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., method: _Optional[_Union[_types_pb2.DeliveryMethod, str]] = ..., reference: _Optional[str] = ...) -> None: ...

class EvaluationSubmitted(_message.Message):
    __slots__ = ("case_id", "occurred_at", "level", "tags", "province")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    level: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    province: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., province: _Optional[str] = ...) -> None: ...

class RectificationOpened(_message.Message):
    __slots__ = ("case_id", "occurred_at", "rectification_id", "due_date")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    rectification_id: str
    due_date: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rectification_id: _Optional[str] = ..., due_date: _Optional[str] = ...) -> None: ...

class RectificationClosed(_message.Message):
    __slots__ = ("case_id", "occurred_at", "rectification_id", "callback_note")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_NOTE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    rectification_id: str
    callback_note: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rectification_id: _Optional[str] = ..., callback_note: _Optional[str] = ...) -> None: ...

class CaseDeadlineWarning(_message.Message):
    __slots__ = ("case_id", "occurred_at", "due_date", "working_days_left")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    WORKING_DAYS_LEFT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    due_date: str
    working_days_left: int
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_date: _Optional[str] = ..., working_days_left: _Optional[int] = ...) -> None: ...

class CaseOverdue(_message.Message):
    __slots__ = ("case_id", "occurred_at", "due_date")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    due_date: str
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_date: _Optional[str] = ...) -> None: ...

class CaseClosed(_message.Message):
    __slots__ = ("case_id", "occurred_at", "outcome")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    occurred_at: _timestamp_pb2.Timestamp
    outcome: _types_pb2.DecisionOutcome
    def __init__(self, case_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[_types_pb2.DecisionOutcome, str]] = ...) -> None: ...
