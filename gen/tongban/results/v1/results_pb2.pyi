import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tongban.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Case(_message.Message):
    __slots__ = ("case_id", "status", "hall_province", "target_province", "matter_code", "applicant", "official_id", "outcome", "due_date", "certificate_number", "evaluation_level", "submitted_at", "updated_at", "hall_id", "delivery_method", "delivery_reference")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_METHOD_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    status: str
    hall_province: str
    target_province: str
    matter_code: str
    applicant: _types_pb2.MaskedApplicant
    official_id: str
    outcome: _types_pb2.DecisionOutcome
    due_date: str
    certificate_number: str
    evaluation_level: int
    submitted_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    hall_id: str
    delivery_method: _types_pb2.DeliveryMethod
    delivery_reference: str
    def __init__(self, case_id: _Optional[str] = ..., status: _Optional[str] = ..., hall_province: _Optional[str] = ..., target_province: _Optional[str] = ..., matter_code: _Optional[str] = ..., applicant: _Optional[_Union[_types_pb2.MaskedApplicant, _Mapping]] = ..., official_id: _Optional[str] = ..., outcome: _Optional[_Union[_types_pb2.DecisionOutcome, str]] = ..., due_date: _Optional[str] = ..., certificate_number: _Optional[str] = ..., evaluation_level: _Optional[int] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hall_id: _Optional[str] = ..., delivery_method: _Optional[_Union[_types_pb2.DeliveryMethod, str]] = ..., delivery_reference: _Optional[str] = ...) -> None: ...

class TimelineEvent(_message.Message):
    __slots__ = ("event_id", "type", "source", "time", "data_json")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: str
    source: str
    time: _timestamp_pb2.Timestamp
    data_json: str
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[str] = ..., source: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_json: _Optional[str] = ...) -> None: ...

class RecordDecisionRequest(_message.Message):
    __slots__ = ("case_id", "official_id", "province", "outcome", "result_kind", "reason_code", "legal_basis", "supplements", "transfer_to", "delivery_method", "mail_address")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RESULT_KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    SUPPLEMENTS_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_TO_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_METHOD_FIELD_NUMBER: _ClassVar[int]
    MAIL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    official_id: str
    province: str
    outcome: _types_pb2.DecisionOutcome
    result_kind: str
    reason_code: str
    legal_basis: str
    supplements: _containers.RepeatedScalarFieldContainer[str]
    transfer_to: str
    delivery_method: _types_pb2.DeliveryMethod
    mail_address: str
    def __init__(self, case_id: _Optional[str] = ..., official_id: _Optional[str] = ..., province: _Optional[str] = ..., outcome: _Optional[_Union[_types_pb2.DecisionOutcome, str]] = ..., result_kind: _Optional[str] = ..., reason_code: _Optional[str] = ..., legal_basis: _Optional[str] = ..., supplements: _Optional[_Iterable[str]] = ..., transfer_to: _Optional[str] = ..., delivery_method: _Optional[_Union[_types_pb2.DeliveryMethod, str]] = ..., mail_address: _Optional[str] = ...) -> None: ...

class RecordDecisionResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: Case
    def __init__(self, case: _Optional[_Union[Case, _Mapping]] = ...) -> None: ...

class RecordDeliveryRequest(_message.Message):
    __slots__ = ("case_id", "reference", "carrier")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reference: str
    carrier: str
    def __init__(self, case_id: _Optional[str] = ..., reference: _Optional[str] = ..., carrier: _Optional[str] = ...) -> None: ...

class RecordDeliveryResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: Case
    def __init__(self, case: _Optional[_Union[Case, _Mapping]] = ...) -> None: ...

class SubmitEvaluationRequest(_message.Message):
    __slots__ = ("case_id", "level", "tags", "comment")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    level: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    comment: str
    def __init__(self, case_id: _Optional[str] = ..., level: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., comment: _Optional[str] = ...) -> None: ...

class SubmitEvaluationResponse(_message.Message):
    __slots__ = ("rectification_id",)
    RECTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    rectification_id: str
    def __init__(self, rectification_id: _Optional[str] = ...) -> None: ...

class CloseRectificationRequest(_message.Message):
    __slots__ = ("rectification_id", "callback_note", "closed_by")
    RECTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_NOTE_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    rectification_id: str
    callback_note: str
    closed_by: str
    def __init__(self, rectification_id: _Optional[str] = ..., callback_note: _Optional[str] = ..., closed_by: _Optional[str] = ...) -> None: ...

class CloseRectificationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: Case
    def __init__(self, case: _Optional[_Union[Case, _Mapping]] = ...) -> None: ...

class GetCaseTimelineRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseTimelineResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[TimelineEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[TimelineEvent, _Mapping]]] = ...) -> None: ...

class SearchCasesRequest(_message.Message):
    __slots__ = ("hall_province", "target_province", "matter_code", "status", "from_time", "to_time", "page_size", "page_token", "official_id")
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_ID_FIELD_NUMBER: _ClassVar[int]
    hall_province: str
    target_province: str
    matter_code: str
    status: str
    from_time: _timestamp_pb2.Timestamp
    to_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    official_id: str
    def __init__(self, hall_province: _Optional[str] = ..., target_province: _Optional[str] = ..., matter_code: _Optional[str] = ..., status: _Optional[str] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., official_id: _Optional[str] = ...) -> None: ...

class SearchCasesResponse(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[Case]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[Case, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ("hall_province", "target_province", "matter_code")
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    hall_province: str
    target_province: str
    matter_code: str
    def __init__(self, hall_province: _Optional[str] = ..., target_province: _Optional[str] = ..., matter_code: _Optional[str] = ...) -> None: ...

class StatsRow(_message.Message):
    __slots__ = ("hall_province", "target_province", "matter_code", "volume", "median_wait_seconds", "p90_wait_seconds", "median_handling_seconds", "approval_rate", "satisfaction_rate", "overdue")
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    P90_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_HANDLING_SECONDS_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_RATE_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_RATE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    hall_province: str
    target_province: str
    matter_code: str
    volume: int
    median_wait_seconds: float
    p90_wait_seconds: float
    median_handling_seconds: float
    approval_rate: float
    satisfaction_rate: float
    overdue: int
    def __init__(self, hall_province: _Optional[str] = ..., target_province: _Optional[str] = ..., matter_code: _Optional[str] = ..., volume: _Optional[int] = ..., median_wait_seconds: _Optional[float] = ..., p90_wait_seconds: _Optional[float] = ..., median_handling_seconds: _Optional[float] = ..., approval_rate: _Optional[float] = ..., satisfaction_rate: _Optional[float] = ..., overdue: _Optional[int] = ...) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[StatsRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[StatsRow, _Mapping]]] = ...) -> None: ...

class VerifyCertificateRequest(_message.Message):
    __slots__ = ("certificate_number", "hash")
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    certificate_number: str
    hash: str
    def __init__(self, certificate_number: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class VerifyCertificateResponse(_message.Message):
    __slots__ = ("genuine", "matter_code", "province", "issued_on", "holder")
    GENUINE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    ISSUED_ON_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    genuine: bool
    matter_code: str
    province: str
    issued_on: str
    holder: str
    def __init__(self, genuine: _Optional[bool] = ..., matter_code: _Optional[str] = ..., province: _Optional[str] = ..., issued_on: _Optional[str] = ..., holder: _Optional[str] = ...) -> None: ...

class GetCertificateRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCertificateResponse(_message.Message):
    __slots__ = ("certificate_number", "pdf")
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PDF_FIELD_NUMBER: _ClassVar[int]
    certificate_number: str
    pdf: bytes
    def __init__(self, certificate_number: _Optional[str] = ..., pdf: _Optional[bytes] = ...) -> None: ...

class ListAnomaliesRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class Anomaly(_message.Message):
    __slots__ = ("case_id", "event_id", "description", "recorded_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    event_id: str
    description: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., event_id: _Optional[str] = ..., description: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAnomaliesResponse(_message.Message):
    __slots__ = ("anomalies",)
    ANOMALIES_FIELD_NUMBER: _ClassVar[int]
    anomalies: _containers.RepeatedCompositeFieldContainer[Anomaly]
    def __init__(self, anomalies: _Optional[_Iterable[_Union[Anomaly, _Mapping]]] = ...) -> None: ...

class ListPrintJobsRequest(_message.Message):
    __slots__ = ("hall_id", "include_done")
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DONE_FIELD_NUMBER: _ClassVar[int]
    hall_id: str
    include_done: bool
    def __init__(self, hall_id: _Optional[str] = ..., include_done: _Optional[bool] = ...) -> None: ...

class PrintJob(_message.Message):
    __slots__ = ("case_id", "hall_id", "matter_code", "holder", "issued_at", "printed_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    PRINTED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    hall_id: str
    matter_code: str
    holder: str
    issued_at: _timestamp_pb2.Timestamp
    printed_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., hall_id: _Optional[str] = ..., matter_code: _Optional[str] = ..., holder: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., printed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPrintJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[PrintJob]
    def __init__(self, jobs: _Optional[_Iterable[_Union[PrintJob, _Mapping]]] = ...) -> None: ...
