from tongban.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Official(_message.Message):
    __slots__ = ("id", "province", "department", "skills", "languages", "presence", "away_reason", "case_id", "reservation_id", "reservation_expires_at", "display_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_FIELD_NUMBER: _ClassVar[int]
    AWAY_REASON_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    province: str
    department: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    languages: _containers.RepeatedScalarFieldContainer[str]
    presence: _types_pb2.Presence
    away_reason: str
    case_id: str
    reservation_id: str
    reservation_expires_at: float
    display_name: str
    def __init__(self, id: _Optional[str] = ..., province: _Optional[str] = ..., department: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., languages: _Optional[_Iterable[str]] = ..., presence: _Optional[_Union[_types_pb2.Presence, str]] = ..., away_reason: _Optional[str] = ..., case_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., reservation_expires_at: _Optional[float] = ..., display_name: _Optional[str] = ...) -> None: ...

class RegisterOfficialRequest(_message.Message):
    __slots__ = ("official",)
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    official: Official
    def __init__(self, official: _Optional[_Union[Official, _Mapping]] = ...) -> None: ...

class RegisterOfficialResponse(_message.Message):
    __slots__ = ("official",)
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    official: Official
    def __init__(self, official: _Optional[_Union[Official, _Mapping]] = ...) -> None: ...

class SetPresenceRequest(_message.Message):
    __slots__ = ("official_id", "province", "presence", "reason")
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    official_id: str
    province: str
    presence: _types_pb2.Presence
    reason: str
    def __init__(self, official_id: _Optional[str] = ..., province: _Optional[str] = ..., presence: _Optional[_Union[_types_pb2.Presence, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class SetPresenceResponse(_message.Message):
    __slots__ = ("official",)
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    official: Official
    def __init__(self, official: _Optional[_Union[Official, _Mapping]] = ...) -> None: ...

class AcceptReservationRequest(_message.Message):
    __slots__ = ("official_id", "province", "reservation_id")
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    official_id: str
    province: str
    reservation_id: str
    def __init__(self, official_id: _Optional[str] = ..., province: _Optional[str] = ..., reservation_id: _Optional[str] = ...) -> None: ...

class AcceptReservationResponse(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class RejectReservationRequest(_message.Message):
    __slots__ = ("official_id", "province", "reservation_id", "reason")
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    official_id: str
    province: str
    reservation_id: str
    reason: str
    def __init__(self, official_id: _Optional[str] = ..., province: _Optional[str] = ..., reservation_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectReservationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FinishCaseRequest(_message.Message):
    __slots__ = ("official_id", "province", "case_id")
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    official_id: str
    province: str
    case_id: str
    def __init__(self, official_id: _Optional[str] = ..., province: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class FinishCaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetOfficialRequest(_message.Message):
    __slots__ = ("official_id", "province")
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    official_id: str
    province: str
    def __init__(self, official_id: _Optional[str] = ..., province: _Optional[str] = ...) -> None: ...

class GetOfficialResponse(_message.Message):
    __slots__ = ("official",)
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    official: Official
    def __init__(self, official: _Optional[_Union[Official, _Mapping]] = ...) -> None: ...

class GetQueuePositionRequest(_message.Message):
    __slots__ = ("case_id", "province")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    province: str
    def __init__(self, case_id: _Optional[str] = ..., province: _Optional[str] = ...) -> None: ...

class GetQueuePositionResponse(_message.Message):
    __slots__ = ("position", "estimated_wait_seconds", "state", "official_id")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    position: int
    estimated_wait_seconds: int
    state: str
    official_id: str
    def __init__(self, position: _Optional[int] = ..., estimated_wait_seconds: _Optional[int] = ..., state: _Optional[str] = ..., official_id: _Optional[str] = ...) -> None: ...

class ListQueuesRequest(_message.Message):
    __slots__ = ("province",)
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    province: str
    def __init__(self, province: _Optional[str] = ...) -> None: ...

class QueueSummary(_message.Message):
    __slots__ = ("province", "department", "depth", "oldest_wait_seconds", "available_officials")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    OLDEST_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_OFFICIALS_FIELD_NUMBER: _ClassVar[int]
    province: str
    department: str
    depth: int
    oldest_wait_seconds: float
    available_officials: int
    def __init__(self, province: _Optional[str] = ..., department: _Optional[str] = ..., depth: _Optional[int] = ..., oldest_wait_seconds: _Optional[float] = ..., available_officials: _Optional[int] = ...) -> None: ...

class ListQueuesResponse(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[QueueSummary]
    def __init__(self, queues: _Optional[_Iterable[_Union[QueueSummary, _Mapping]]] = ...) -> None: ...
