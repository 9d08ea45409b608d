from tongban.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Seat(_message.Message):
    __slots__ = ("role", "join_token", "connected")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    JOIN_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    role: _types_pb2.SeatRole
    join_token: str
    connected: bool
    def __init__(self, role: _Optional[_Union[_types_pb2.SeatRole, str]] = ..., join_token: _Optional[str] = ..., connected: _Optional[bool] = ...) -> None: ...

class Window(_message.Message):
    __slots__ = ("id", "case_id", "official_id", "seats", "state", "close_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    official_id: str
    seats: _containers.RepeatedCompositeFieldContainer[Seat]
    state: str
    close_reason: str
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., official_id: _Optional[str] = ..., seats: _Optional[_Iterable[_Union[Seat, _Mapping]]] = ..., state: _Optional[str] = ..., close_reason: _Optional[str] = ...) -> None: ...

class OpenWindowRequest(_message.Message):
    __slots__ = ("case_id", "official_id", "third_party")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    THIRD_PARTY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    official_id: str
    third_party: _types_pb2.SeatRole
    def __init__(self, case_id: _Optional[str] = ..., official_id: _Optional[str] = ..., third_party: _Optional[_Union[_types_pb2.SeatRole, str]] = ...) -> None: ...

class OpenWindowResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: Window
    def __init__(self, window: _Optional[_Union[Window, _Mapping]] = ...) -> None: ...

class JoinRequest(_message.Message):
    __slots__ = ("window_id", "join_token", "sdp")
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    JOIN_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SDP_FIELD_NUMBER: _ClassVar[int]
    window_id: str
    join_token: str
    sdp: str
    def __init__(self, window_id: _Optional[str] = ..., join_token: _Optional[str] = ..., sdp: _Optional[str] = ...) -> None: ...

class JoinResponse(_message.Message):
    __slots__ = ("sdp", "role")
    SDP_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    sdp: str
    role: _types_pb2.SeatRole
    def __init__(self, sdp: _Optional[str] = ..., role: _Optional[_Union[_types_pb2.SeatRole, str]] = ...) -> None: ...

class CloseWindowRequest(_message.Message):
    __slots__ = ("window_id", "reason")
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    window_id: str
    reason: str
    def __init__(self, window_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CloseWindowResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: Window
    def __init__(self, window: _Optional[_Union[Window, _Mapping]] = ...) -> None: ...

class GetWindowRequest(_message.Message):
    __slots__ = ("window_id", "case_id")
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    window_id: str
    case_id: str
    def __init__(self, window_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class GetWindowResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: Window
    def __init__(self, window: _Optional[_Union[Window, _Mapping]] = ...) -> None: ...
