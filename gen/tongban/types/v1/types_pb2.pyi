from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DeliveryMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_METHOD_UNSPECIFIED: _ClassVar[DeliveryMethod]
    DELIVERY_METHOD_MAIL: _ClassVar[DeliveryMethod]
    DELIVERY_METHOD_HALL_PRINT: _ClassVar[DeliveryMethod]
    DELIVERY_METHOD_E_CERTIFICATE: _ClassVar[DeliveryMethod]

class DecisionOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_OUTCOME_UNSPECIFIED: _ClassVar[DecisionOutcome]
    DECISION_OUTCOME_APPROVED: _ClassVar[DecisionOutcome]
    DECISION_OUTCOME_REJECTED: _ClassVar[DecisionOutcome]
    DECISION_OUTCOME_SUPPLEMENT_REQUESTED: _ClassVar[DecisionOutcome]
    DECISION_OUTCOME_TRANSFERRED: _ClassVar[DecisionOutcome]

class Presence(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRESENCE_UNSPECIFIED: _ClassVar[Presence]
    PRESENCE_AVAILABLE: _ClassVar[Presence]
    PRESENCE_BUSY: _ClassVar[Presence]
    PRESENCE_WRAP_UP: _ClassVar[Presence]
    PRESENCE_AWAY: _ClassVar[Presence]
    PRESENCE_OFFLINE: _ClassVar[Presence]

class SeatRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEAT_ROLE_UNSPECIFIED: _ClassVar[SeatRole]
    SEAT_ROLE_APPLICANT: _ClassVar[SeatRole]
    SEAT_ROLE_OFFICIAL: _ClassVar[SeatRole]
    SEAT_ROLE_CLERK: _ClassVar[SeatRole]
    SEAT_ROLE_INTERPRETER: _ClassVar[SeatRole]
    SEAT_ROLE_SECOND_OFFICIAL: _ClassVar[SeatRole]
DELIVERY_METHOD_UNSPECIFIED: DeliveryMethod
DELIVERY_METHOD_MAIL: DeliveryMethod
DELIVERY_METHOD_HALL_PRINT: DeliveryMethod
DELIVERY_METHOD_E_CERTIFICATE: DeliveryMethod
DECISION_OUTCOME_UNSPECIFIED: DecisionOutcome
DECISION_OUTCOME_APPROVED: DecisionOutcome
DECISION_OUTCOME_REJECTED: DecisionOutcome
DECISION_OUTCOME_SUPPLEMENT_REQUESTED: DecisionOutcome
DECISION_OUTCOME_TRANSFERRED: DecisionOutcome
PRESENCE_UNSPECIFIED: Presence
PRESENCE_AVAILABLE: Presence
PRESENCE_BUSY: Presence
PRESENCE_WRAP_UP: Presence
PRESENCE_AWAY: Presence
PRESENCE_OFFLINE: Presence
SEAT_ROLE_UNSPECIFIED: SeatRole
SEAT_ROLE_APPLICANT: SeatRole
SEAT_ROLE_OFFICIAL: SeatRole
SEAT_ROLE_CLERK: SeatRole
SEAT_ROLE_INTERPRETER: SeatRole
SEAT_ROLE_SECOND_OFFICIAL: SeatRole

class SpecialNeeds(_message.Message):
    __slots__ = ("elderly", "disability", "interpreter", "preferred_language")
    ELDERLY_FIELD_NUMBER: _ClassVar[int]
    DISABILITY_FIELD_NUMBER: _ClassVar[int]
    INTERPRETER_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    elderly: bool
    disability: bool
    interpreter: bool
    preferred_language: str
    def __init__(self, elderly: _Optional[bool] = ..., disability: _Optional[bool] = ..., interpreter: _Optional[bool] = ..., preferred_language: _Optional[str] = ...) -> None: ...

class MaskedApplicant(_message.Message):
    __slots__ = ("name", "id_number", "phone", "pseudonym")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    PSEUDONYM_FIELD_NUMBER: _ClassVar[int]
    name: str
    id_number: str
    phone: str
    pseudonym: str
    def __init__(self, name: _Optional[str] = ..., id_number: _Optional[str] = ..., phone: _Optional[str] = ..., pseudonym: _Optional[str] = ...) -> None: ...
