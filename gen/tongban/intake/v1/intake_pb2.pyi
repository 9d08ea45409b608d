import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tongban.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApplicationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPLICATION_STATUS_UNSPECIFIED: _ClassVar[ApplicationStatus]
    APPLICATION_STATUS_DRAFT: _ClassVar[ApplicationStatus]
    APPLICATION_STATUS_SUBMITTED: _ClassVar[ApplicationStatus]
    APPLICATION_STATUS_CANCELLED: _ClassVar[ApplicationStatus]
    APPLICATION_STATUS_SUPPLEMENT_REQUESTED: _ClassVar[ApplicationStatus]

class SearchOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEARCH_OUTCOME_UNSPECIFIED: _ClassVar[SearchOutcome]
    SEARCH_OUTCOME_MATCHED: _ClassVar[SearchOutcome]
    SEARCH_OUTCOME_QUICK_PICKS: _ClassVar[SearchOutcome]
    SEARCH_OUTCOME_NO_MATCH: _ClassVar[SearchOutcome]
APPLICATION_STATUS_UNSPECIFIED: ApplicationStatus
APPLICATION_STATUS_DRAFT: ApplicationStatus
APPLICATION_STATUS_SUBMITTED: ApplicationStatus
APPLICATION_STATUS_CANCELLED: ApplicationStatus
APPLICATION_STATUS_SUPPLEMENT_REQUESTED: ApplicationStatus
SEARCH_OUTCOME_UNSPECIFIED: SearchOutcome
SEARCH_OUTCOME_MATCHED: SearchOutcome
SEARCH_OUTCOME_QUICK_PICKS: SearchOutcome
SEARCH_OUTCOME_NO_MATCH: SearchOutcome

class MaterialRequirement(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "key")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    key: bool
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., key: _Optional[bool] = ...) -> None: ...

class Matter(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "department", "department_zh", "department_en", "materials", "time_limit_working_days", "delivery_methods", "remote_window", "provinces")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_ZH_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_EN_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_METHODS_FIELD_NUMBER: _ClassVar[int]
    REMOTE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    PROVINCES_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    department: str
    department_zh: str
    department_en: str
    materials: _containers.RepeatedCompositeFieldContainer[MaterialRequirement]
    time_limit_working_days: int
    delivery_methods: _containers.RepeatedScalarFieldContainer[_types_pb2.DeliveryMethod]
    remote_window: bool
    provinces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., department: _Optional[str] = ..., department_zh: _Optional[str] = ..., department_en: _Optional[str] = ..., materials: _Optional[_Iterable[_Union[MaterialRequirement, _Mapping]]] = ..., time_limit_working_days: _Optional[int] = ..., delivery_methods: _Optional[_Iterable[_Union[_types_pb2.DeliveryMethod, str]]] = ..., remote_window: _Optional[bool] = ..., provinces: _Optional[_Iterable[str]] = ...) -> None: ...

class Hall(_message.Message):
    __slots__ = ("id", "name_zh", "name_en", "province", "city_zh", "city_en")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CITY_ZH_FIELD_NUMBER: _ClassVar[int]
    CITY_EN_FIELD_NUMBER: _ClassVar[int]
    id: str
    name_zh: str
    name_en: str
    province: str
    city_zh: str
    city_en: str
    def __init__(self, id: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., province: _Optional[str] = ..., city_zh: _Optional[str] = ..., city_en: _Optional[str] = ...) -> None: ...

class Province(_message.Message):
    __slots__ = ("code", "name_zh", "name_en")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ...) -> None: ...

class Material(_message.Message):
    __slots__ = ("id", "code", "content_type", "size", "sha256", "source")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    code: str
    content_type: str
    size: int
    sha256: str
    source: str
    def __init__(self, id: _Optional[str] = ..., code: _Optional[str] = ..., content_type: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Application(_message.Message):
    __slots__ = ("case_id", "status", "hall_id", "hall_province", "target_province", "matter_code", "applicant", "needs", "materials", "missing_materials", "created_at", "submitted_at", "delivery_method", "requested_supplements", "supplements_requested_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    HALL_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    NEEDS_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    MISSING_MATERIALS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_METHOD_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_SUPPLEMENTS_FIELD_NUMBER: _ClassVar[int]
    SUPPLEMENTS_REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    status: ApplicationStatus
    hall_id: str
    hall_province: str
    target_province: str
    matter_code: str
    applicant: _types_pb2.MaskedApplicant
    needs: _types_pb2.SpecialNeeds
    materials: _containers.RepeatedCompositeFieldContainer[Material]
    missing_materials: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    submitted_at: _timestamp_pb2.Timestamp
    delivery_method: _types_pb2.DeliveryMethod
    requested_supplements: _containers.RepeatedScalarFieldContainer[str]
    supplements_requested_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., status: _Optional[_Union[ApplicationStatus, str]] = ..., hall_id: _Optional[str] = ..., hall_province: _Optional[str] = ..., target_province: _Optional[str] = ..., matter_code: _Optional[str] = ..., applicant: _Optional[_Union[_types_pb2.MaskedApplicant, _Mapping]] = ..., needs: _Optional[_Union[_types_pb2.SpecialNeeds, _Mapping]] = ..., materials: _Optional[_Iterable[_Union[Material, _Mapping]]] = ..., missing_materials: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_method: _Optional[_Union[_types_pb2.DeliveryMethod, str]] = ..., requested_supplements: _Optional[_Iterable[str]] = ..., supplements_requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMattersRequest(_message.Message):
    __slots__ = ("query", "province")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    query: str
    province: str
    def __init__(self, query: _Optional[str] = ..., province: _Optional[str] = ...) -> None: ...

class ListMattersResponse(_message.Message):
    __slots__ = ("matters",)
    MATTERS_FIELD_NUMBER: _ClassVar[int]
    matters: _containers.RepeatedCompositeFieldContainer[Matter]
    def __init__(self, matters: _Optional[_Iterable[_Union[Matter, _Mapping]]] = ...) -> None: ...

class SearchMattersRequest(_message.Message):
    __slots__ = ("hall_id", "query", "matter_counts", "limit")
    class MatterCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    MATTER_COUNTS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    hall_id: str
    query: str
    matter_counts: _containers.ScalarMap[str, int]
    limit: int
    def __init__(self, hall_id: _Optional[str] = ..., query: _Optional[str] = ..., matter_counts: _Optional[_Mapping[str, int]] = ..., limit: _Optional[int] = ...) -> None: ...

class MatterHit(_message.Message):
    __slots__ = ("matter", "score")
    MATTER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    matter: Matter
    score: float
    def __init__(self, matter: _Optional[_Union[Matter, _Mapping]] = ..., score: _Optional[float] = ...) -> None: ...

class SearchMattersResponse(_message.Message):
    __slots__ = ("hits", "outcome")
    HITS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[MatterHit]
    outcome: SearchOutcome
    def __init__(self, hits: _Optional[_Iterable[_Union[MatterHit, _Mapping]]] = ..., outcome: _Optional[_Union[SearchOutcome, str]] = ...) -> None: ...

class GetMatterRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetMatterResponse(_message.Message):
    __slots__ = ("matter",)
    MATTER_FIELD_NUMBER: _ClassVar[int]
    matter: Matter
    def __init__(self, matter: _Optional[_Union[Matter, _Mapping]] = ...) -> None: ...

class ListHallsRequest(_message.Message):
    __slots__ = ("province",)
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    province: str
    def __init__(self, province: _Optional[str] = ...) -> None: ...

class ListHallsResponse(_message.Message):
    __slots__ = ("halls",)
    HALLS_FIELD_NUMBER: _ClassVar[int]
    halls: _containers.RepeatedCompositeFieldContainer[Hall]
    def __init__(self, halls: _Optional[_Iterable[_Union[Hall, _Mapping]]] = ...) -> None: ...

class ListProvincesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListProvincesResponse(_message.Message):
    __slots__ = ("provinces",)
    PROVINCES_FIELD_NUMBER: _ClassVar[int]
    provinces: _containers.RepeatedCompositeFieldContainer[Province]
    def __init__(self, provinces: _Optional[_Iterable[_Union[Province, _Mapping]]] = ...) -> None: ...

class CreateApplicationRequest(_message.Message):
    __slots__ = ("request_id", "applicant_name", "id_number", "phone", "hall_id", "matter_code", "target_province", "disability", "interpreter", "preferred_language", "delivery_method")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    MATTER_CODE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    DISABILITY_FIELD_NUMBER: _ClassVar[int]
    INTERPRETER_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_METHOD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    applicant_name: str
    id_number: str
    phone: str
    hall_id: str
    matter_code: str
    target_province: str
    disability: bool
    interpreter: bool
    preferred_language: str
    delivery_method: _types_pb2.DeliveryMethod
    def __init__(self, request_id: _Optional[str] = ..., applicant_name: _Optional[str] = ..., id_number: _Optional[str] = ..., phone: _Optional[str] = ..., hall_id: _Optional[str] = ..., matter_code: _Optional[str] = ..., target_province: _Optional[str] = ..., disability: _Optional[bool] = ..., interpreter: _Optional[bool] = ..., preferred_language: _Optional[str] = ..., delivery_method: _Optional[_Union[_types_pb2.DeliveryMethod, str]] = ...) -> None: ...

class CreateApplicationResponse(_message.Message):
    __slots__ = ("application",)
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    application: Application
    def __init__(self, application: _Optional[_Union[Application, _Mapping]] = ...) -> None: ...

class UploadMaterialRequest(_message.Message):
    __slots__ = ("header", "data")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: UploadHeader
    data: bytes
    def __init__(self, header: _Optional[_Union[UploadHeader, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadHeader(_message.Message):
    __slots__ = ("case_id", "material_code", "file_name", "source")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_CODE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    material_code: str
    file_name: str
    source: str
    def __init__(self, case_id: _Optional[str] = ..., material_code: _Optional[str] = ..., file_name: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class UploadMaterialResponse(_message.Message):
    __slots__ = ("material",)
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    material: Material
    def __init__(self, material: _Optional[_Union[Material, _Mapping]] = ...) -> None: ...

class SubmitApplicationRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class SubmitApplicationResponse(_message.Message):
    __slots__ = ("application", "accepted_with_deficiency")
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_WITH_DEFICIENCY_FIELD_NUMBER: _ClassVar[int]
    application: Application
    accepted_with_deficiency: bool
    def __init__(self, application: _Optional[_Union[Application, _Mapping]] = ..., accepted_with_deficiency: _Optional[bool] = ...) -> None: ...

class CancelApplicationRequest(_message.Message):
    __slots__ = ("case_id", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelApplicationResponse(_message.Message):
    __slots__ = ("application",)
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    application: Application
    def __init__(self, application: _Optional[_Union[Application, _Mapping]] = ...) -> None: ...

class GetApplicationRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetApplicationResponse(_message.Message):
    __slots__ = ("application",)
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    application: Application
    def __init__(self, application: _Optional[_Union[Application, _Mapping]] = ...) -> None: ...

class ListApplicationsRequest(_message.Message):
    __slots__ = ("hall_id", "status", "page_size", "page_token")
    HALL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    hall_id: str
    status: ApplicationStatus
    page_size: int
    page_token: str
    def __init__(self, hall_id: _Optional[str] = ..., status: _Optional[_Union[ApplicationStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListApplicationsResponse(_message.Message):
    __slots__ = ("applications", "next_page_token")
    APPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    applications: _containers.RepeatedCompositeFieldContainer[Application]
    next_page_token: str
    def __init__(self, applications: _Optional[_Iterable[_Union[Application, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetMaterialRequest(_message.Message):
    __slots__ = ("case_id", "material_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    material_id: str
    def __init__(self, case_id: _Optional[str] = ..., material_id: _Optional[str] = ...) -> None: ...

class GetMaterialResponse(_message.Message):
    __slots__ = ("material", "data")
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    material: Material
    data: bytes
    def __init__(self, material: _Optional[_Union[Material, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...
