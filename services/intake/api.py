"""gRPC `tongban.intake.v1.IntakeService`: validation in domain.py, storage in store.py,
personal data through shared/pii.py. A failed call writes nothing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import grpc

from services.intake import domain
from services.intake.blobs import BlobStore, BlobStoreError, sha256_hex
from services.intake.finder import serve as finder
from services.intake.store import ApplicationRow, IntakeStore, MaterialRow, NewApplication
from services.shared import cloudevents, errors, pii
from services.shared.catalog import Catalog, Matter
from services.shared.cloudevents import Envelope
from services.shared.errors import FieldViolation, grpc_errors
from tongban.events.v1 import events_pb2
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc
from tongban.types.v1 import types_pb2

log = logging.getLogger(__name__)
DELIVERY = {
    "MAIL": types_pb2.DELIVERY_METHOD_MAIL,
    "HALL_PRINT": types_pb2.DELIVERY_METHOD_HALL_PRINT,
    "E_CERTIFICATE": types_pb2.DELIVERY_METHOD_E_CERTIFICATE,
}
STATUS = {
    "DRAFT": intake_pb2.APPLICATION_STATUS_DRAFT,
    "SUBMITTED": intake_pb2.APPLICATION_STATUS_SUBMITTED,
    "CANCELLED": intake_pb2.APPLICATION_STATUS_CANCELLED,
    "SUPPLEMENT_REQUESTED": intake_pb2.APPLICATION_STATUS_SUPPLEMENT_REQUESTED,
}
STATUS_NAMES = {v: k for k, v in STATUS.items()}
MAX_PAGE = 500


def _violation(field: str, code: str, zh: str, en: str) -> errors.ServiceError:
    return errors.invalid_argument([FieldViolation(field, code, zh, en)])


class IntakeApi(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(
        self,
        store: IntakeStore,
        catalog: Catalog,
        blobs: BlobStore,
        keyring: pii.Keyring,
        pseudonym_secret: bytes,
        today: Any = date.today,
        concurrent_uploads: int = 8,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.blobs = blobs
        self.keyring = keyring
        self.pseudonym_secret = pseudonym_secret
        self.today = today
        # each upload is held whole in memory until it is stored: at most this many at once
        self.upload_slots = asyncio.Semaphore(concurrent_uploads)

    # ------------------------------------------------------------ catalog

    def _matter_pb(self, matter: Matter) -> intake_pb2.Matter:
        return intake_pb2.Matter(
            code=matter.code,
            name_zh=matter.name_zh,
            name_en=matter.name_en,
            department=matter.department.code,
            department_zh=matter.department.name_zh,
            department_en=matter.department.name_en,
            materials=[
                intake_pb2.MaterialRequirement(code=m.code, name_zh=m.name_zh, name_en=m.name_en, key=m.key)
                for m in matter.materials
            ],
            time_limit_working_days=matter.time_limit_working_days,
            delivery_methods=[DELIVERY[d] for d in matter.delivery_methods],
            remote_window=matter.remote_window,
            provinces=self.catalog.matter_provinces(matter.code),
        )

    @grpc_errors
    async def ListMatters(
        self, request: intake_pb2.ListMattersRequest, context: Any
    ) -> intake_pb2.ListMattersResponse:
        matters = self.catalog.search_matters(request.query)
        if request.province:
            matters = [m for m in matters if self.catalog.handles(m.code, request.province)]
        return intake_pb2.ListMattersResponse(matters=[self._matter_pb(m) for m in matters])

    @grpc_errors
    async def SearchMatters(
        self, request: intake_pb2.SearchMattersRequest, context: Any
    ) -> intake_pb2.SearchMattersResponse:
        """The kiosk's matter finder; its rules are in finder/."""
        found = finder.search(
            self.catalog, request.hall_id, request.query, dict(request.matter_counts), request.limit
        )
        return intake_pb2.SearchMattersResponse(
            hits=[intake_pb2.MatterHit(matter=self._matter_pb(h.matter), score=h.score) for h in found.hits],
            outcome=found.outcome,
        )

    @grpc_errors
    async def GetMatter(
        self, request: intake_pb2.GetMatterRequest, context: Any
    ) -> intake_pb2.GetMatterResponse:
        matter = self.catalog.matter(request.code)
        if matter is None:
            raise errors.not_found(f"事项 {request.code}", f"matter {request.code}")
        return intake_pb2.GetMatterResponse(matter=self._matter_pb(matter))

    @grpc_errors
    async def ListHalls(
        self, request: intake_pb2.ListHallsRequest, context: Any
    ) -> intake_pb2.ListHallsResponse:
        return intake_pb2.ListHallsResponse(
            halls=[
                intake_pb2.Hall(
                    id=h.id,
                    name_zh=h.name_zh,
                    name_en=h.name_en,
                    province=h.province,
                    city_zh=h.city_zh,
                    city_en=h.city_en,
                )
                for h in self.catalog.halls(request.province or None)
            ]
        )

    @grpc_errors
    async def ListProvinces(
        self, request: intake_pb2.ListProvincesRequest, context: Any
    ) -> intake_pb2.ListProvincesResponse:
        return intake_pb2.ListProvincesResponse(
            provinces=[
                intake_pb2.Province(code=p.code, name_zh=p.name_zh, name_en=p.name_en)
                for p in self.catalog.provinces()
            ]
        )

    # ------------------------------------------------------------ applications

    def _application_pb(self, row: ApplicationRow) -> intake_pb2.Application:
        return intake_pb2.Application(
            case_id=row.case_id,
            status=STATUS[row.status],
            hall_id=row.hall_id,
            hall_province=row.hall_province,
            target_province=row.target_province,
            matter_code=row.matter_code,
            applicant=types_pb2.MaskedApplicant(
                name=row.name_masked,
                id_number=row.id_number_masked,
                phone=row.phone_masked,
                pseudonym=row.pseudonym,
            ),
            needs=self._needs(row),
            materials=[self._material_pb(m) for m in row.materials],
            missing_materials=row.missing_materials,
            created_at=cloudevents.timestamp(row.created_at),
            submitted_at=cloudevents.timestamp(row.submitted_at),
            delivery_method=row.delivery_method,  # type: ignore[arg-type]
            requested_supplements=row.requested_supplements,
            supplements_requested_at=cloudevents.timestamp(row.supplements_requested_at),
        )

    @staticmethod
    def _needs(row: NewApplication) -> types_pb2.SpecialNeeds:
        return types_pb2.SpecialNeeds(
            elderly=row.elderly,
            disability=row.disability,
            interpreter=row.interpreter,
            preferred_language=row.preferred_language,
        )

    @staticmethod
    def _material_pb(material: MaterialRow) -> intake_pb2.Material:
        return intake_pb2.Material(
            id=material.id,
            code=material.code,
            content_type=material.content_type,
            size=material.size,
            sha256=material.sha256,
            source=material.source,
        )

    async def on_decision(self, envelope: Envelope) -> None:
        """补正: the official asked for supplements, so the application goes back to the
        applicant (SUPPLEMENT_REQUESTED) until they upload them and submit again. Applied
        once per event, whatever the redeliveries."""
        event: Any = envelope.event
        if event.outcome != types_pb2.DECISION_OUTCOME_SUPPLEMENT_REQUESTED:
            return

        def decide(row: ApplicationRow) -> tuple[dict[str, Any], list[Any]]:
            if not domain.reopens_for_supplements(row.status):  # withdrawn meanwhile
                log.warning(
                    "supplements requested of a %s application", row.status, extra={"case_id": row.case_id}
                )
                return {}, []
            matter = self.catalog.matter(row.matter_code)
            assert matter is not None
            request = domain.supplement_request(matter, list(event.supplements))
            if request.ignored:
                log.warning(
                    "supplements requested that the matter has no material for",
                    extra={"case_id": row.case_id, "ignored": list(request.ignored)},
                )
            return {
                "status": "SUPPLEMENT_REQUESTED",
                "requested_supplements": list(request.awaited),
                "supplements_requested_at": envelope.time,
            }, []

        await self.store.once(envelope.id, event.case_id, decide)

    @grpc_errors
    async def CreateApplication(
        self, request: intake_pb2.CreateApplicationRequest, context: Any
    ) -> intake_pb2.CreateApplicationResponse:
        if not request.request_id.strip():
            raise _violation(
                "request_id", "REQUIRED", "请求编号不能为空", "request_id is required (it makes retries safe)"
            )
        valid = domain.validate_application(
            self.catalog,
            today=self.today(),
            name=request.applicant_name,
            id_number=request.id_number,
            phone=request.phone,
            hall_id=request.hall_id,
            matter_code=request.matter_code,
            target_province=request.target_province,
            preferred_language=request.preferred_language or "zh",
            delivery_method=types_pb2.DeliveryMethod.Name(request.delivery_method).removeprefix(
                "DELIVERY_METHOD_"
            )
            if request.delivery_method
            else "",
        )
        case_id = str(uuid.uuid4())
        bound = case_id.encode()  # ciphertexts are bound to their application and field
        new = NewApplication(
            case_id=case_id,
            request_id=request.request_id,
            hall_id=valid.hall.id,
            hall_province=valid.hall.province,
            target_province=request.target_province,
            matter_code=valid.matter.code,
            department=valid.matter.department.code,
            name_enc=self.keyring.encrypt(valid.name.encode(), bound + b"|name"),
            name_masked=pii.mask_name(valid.name),
            id_number_enc=self.keyring.encrypt(valid.resident_id.number.encode(), bound + b"|id"),
            id_number_masked=pii.mask_id_number(valid.resident_id.number),
            phone_enc=self.keyring.encrypt(valid.phone.encode(), bound + b"|phone"),
            phone_masked=pii.mask_phone(valid.phone),
            pseudonym=pii.pseudonym(self.pseudonym_secret, valid.resident_id.number),
            elderly=domain.is_elderly(valid.resident_id.birth_date, self.today()),
            disability=request.disability,
            interpreter=request.interpreter,
            preferred_language=request.preferred_language or "zh",
            delivery_method=request.delivery_method or DELIVERY[valid.matter.delivery_methods[0]],
        )

        created = cloudevents.stamp(
            events_pb2.ApplicationCreated(
                case_id=new.case_id,
                hall_id=new.hall_id,
                hall_province=new.hall_province,
                target_province=new.target_province,
                matter_code=new.matter_code,
                department=new.department,
                applicant=types_pb2.MaskedApplicant(
                    name=new.name_masked,
                    id_number=new.id_number_masked,
                    phone=new.phone_masked,
                    pseudonym=new.pseudonym,
                ),
                needs=self._needs(new),
            )
        )
        row, fresh = await self.store.create(new, created)
        if not fresh and row.hall_id != new.hall_id:
            # request ids make a hall's retries safe; another hall's id is not a retry
            raise errors.ServiceError(
                grpc.StatusCode.ALREADY_EXISTS,
                "该请求编号已被另一大厅使用",
                "this request_id belongs to another hall",
                reason="ALREADY_EXISTS",
            )
        log.info(
            "application created" if fresh else "application create retried",
            extra={"case_id": row.case_id, "matter": row.matter_code, "applicant": row.id_number_masked},
        )
        return intake_pb2.CreateApplicationResponse(application=self._application_pb(row))

    async def _require(self, case_id: str) -> ApplicationRow:
        row = await self.store.get(_case_id(case_id))
        if row is None:
            raise _case_not_found(case_id)
        return row

    async def _release_blob(self, case_id: str, blob_key: str) -> None:
        try:
            await self.store.release_blob(case_id, blob_key, self.blobs.delete)
        except Exception as exc:  # database or store away: an unnamed file is only litter
            log.warning(
                "file of a failed upload kept",
                extra={"case_id": case_id, "blob": blob_key, "error": str(exc)},
            )

    async def _transition(self, case_id: str, decide: Any) -> ApplicationRow:
        row = await self.store.transition(_case_id(case_id), decide)
        if row is None:
            raise _case_not_found(case_id)
        return row

    @grpc_errors
    async def UploadMaterial(
        self, request_iterator: AsyncIterator[intake_pb2.UploadMaterialRequest], context: Any
    ) -> intake_pb2.UploadMaterialResponse:
        """Refused at once (RESOURCE_EXHAUSTED, the gateway's 429) while
        TONGBAN_CONCURRENT_UPLOADS uploads are being received: memory stays bounded."""
        if self.upload_slots.locked():
            raise errors.resource_exhausted(
                "上传的人较多，请稍后再试", "too many uploads at once; try again shortly"
            )
        async with self.upload_slots:
            return await self._receive_material(request_iterator)

    async def _receive_material(
        self, request_iterator: AsyncIterator[intake_pb2.UploadMaterialRequest]
    ) -> intake_pb2.UploadMaterialResponse:
        header: intake_pb2.UploadHeader | None = None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request_iterator:
            if header is None:
                if not chunk.HasField("header"):
                    raise _violation(
                        "header",
                        "REQUIRED",
                        "第一个数据块必须包含文件信息",
                        "the first chunk must carry the header",
                    )
                header = chunk.header
            size += len(chunk.data)
            if size > domain.MAX_MATERIAL_BYTES:
                raise _violation(
                    "data", "TOO_LARGE", "单个文件不能超过 20 MiB", "a file may be at most 20 MiB"
                )
            chunks.append(chunk.data)
        if header is None:
            raise _violation("header", "REQUIRED", "没有收到文件", "no file received")
        case_id = _case_id(header.case_id)
        data = b"".join(chunks)
        digest = await sha256_hex(data)
        blob_key = f"{case_id}/{digest}"
        source = header.source or "upload"
        stored = False

        def check(application: ApplicationRow | None) -> str:
            """Every rule, in the order a client meets them; the content type if all pass.
            Run under the row lock, so concurrent uploads cannot race past the limits."""
            if application is None:
                raise _case_not_found(case_id)
            if not data:
                raise _violation("data", "EMPTY", "文件为空", "the file is empty")
            matter = self.catalog.matter(application.matter_code)
            assert matter is not None
            if not domain.is_material_of(matter, header.material_code):
                raise _violation(
                    "header.material_code",
                    "UNKNOWN",
                    "该事项不需要此材料",
                    f"material {header.material_code!r} is not required by this matter",
                )
            if source not in {"upload", "document_camera"}:
                raise _violation(
                    "header.source",
                    "UNKNOWN",
                    "来源只能是 upload 或 document_camera",
                    "source must be upload or document_camera",
                )
            content_type = domain.sniff_material(data)  # raises ValidationFailed for other types
            if not domain.can_upload(application.status):
                raise errors.failed_precondition(
                    "当前状态不能上传材料", "materials cannot be added in this state"
                )
            if sum(m.size for m in application.materials) + len(data) > domain.MAX_APPLICATION_BYTES:
                raise _violation(
                    "data",
                    "TOTAL_TOO_LARGE",
                    "材料总量超过上限",
                    "the application's materials would exceed the total limit",
                )
            return content_type

        def row_for(application: ApplicationRow, content_type: str) -> MaterialRow:
            return MaterialRow(
                id=str(uuid.uuid4()),
                case_id=application.case_id,
                code=header.material_code,
                content_type=content_type,
                size=len(data),
                sha256=digest,
                source=source,
                blob_key=blob_key,
                created_at=cloudevents.now(),
            )  # the stored row has the db's time

        async def store_blob() -> None:
            nonlocal stored
            await self.blobs.put(blob_key, data)
            stored = True

        def uploaded(material: MaterialRow) -> events_pb2.MaterialUploaded:
            return cloudevents.stamp(
                events_pb2.MaterialUploaded(  # type: ignore[return-value]
                    case_id=material.case_id,
                    material_id=material.id,
                    material_code=material.code,
                    content_type=material.content_type,
                    size=material.size,
                    sha256=material.sha256,
                    source=material.source,
                )
            )

        try:
            added = await self.store.add_material(case_id, check, store_blob, row_for, uploaded)
        except BlobStoreError as exc:  # nothing stored, the transaction rolled back
            log.warning("material file not stored", extra={"case_id": case_id, "error": str(exc)})
            raise _store_unavailable() from exc
        except BaseException:
            if stored:  # the file went in but its row did not
                await self._release_blob(case_id, blob_key)
            raise
        return intake_pb2.UploadMaterialResponse(material=self._material_pb(added))

    @grpc_errors
    async def SubmitApplication(
        self, request: intake_pb2.SubmitApplicationRequest, context: Any
    ) -> intake_pb2.SubmitApplicationResponse:

        def decide(row: ApplicationRow) -> tuple[dict[str, Any], list[Any]]:
            if row.status == "SUBMITTED":  # a retry of a submit that went through
                return {}, []
            matter = self.catalog.matter(row.matter_code)
            assert matter is not None
            outcome = domain.check_submission(
                matter,
                row.status,
                [(m.code, m.created_at) for m in row.materials],
                row.requested_supplements,
                row.supplements_requested_at,
            )
            resubmission = row.status == "SUPPLEMENT_REQUESTED"
            missing = [m.code for m in outcome.missing_optional]
            round_ = row.submission_round + 1
            event = cloudevents.stamp(
                events_pb2.ApplicationSubmitted(
                    case_id=row.case_id,
                    target_province=row.target_province,
                    hall_province=row.hall_province,
                    matter_code=row.matter_code,
                    department=row.department,
                    needs=self._needs(row),
                    accepted_with_deficiency=bool(missing),
                    missing_materials=missing,
                    time_limit_working_days=matter.time_limit_working_days,
                    hall_id=row.hall_id,
                    resubmission=resubmission,
                    submission_round=round_,
                )
            )
            return (
                {
                    "status": "SUBMITTED",
                    "submitted_at": row.submitted_at or cloudevents.now(),
                    "accepted_with_deficiency": bool(missing),
                    "missing_materials": missing,
                    "requested_supplements": [],
                    "submission_round": round_,
                },
                [event],
            )

        row = await self._transition(request.case_id, decide)
        return intake_pb2.SubmitApplicationResponse(
            application=self._application_pb(row), accepted_with_deficiency=row.accepted_with_deficiency
        )

    @grpc_errors
    async def CancelApplication(
        self, request: intake_pb2.CancelApplicationRequest, context: Any
    ) -> intake_pb2.CancelApplicationResponse:
        errors.check_free_text(reason=request.reason)

        def decide(row: ApplicationRow) -> tuple[dict[str, Any], list[Any]]:
            if row.status == "CANCELLED":
                return {}, []
            if not domain.can_cancel(row.status):
                raise errors.failed_precondition(
                    f"状态为 {row.status} 的申请不能撤回",
                    f"a {row.status} application cannot be cancelled",
                    reason="WRONG_STATE",
                )
            event = cloudevents.stamp(
                events_pb2.ApplicationCancelled(
                    case_id=row.case_id,
                    reason=request.reason or "applicant",
                    target_province=row.target_province,
                )
            )
            return (
                {
                    "status": "CANCELLED",
                    "cancelled_at": cloudevents.now(),
                    "cancel_reason": request.reason or "applicant",
                },
                [event],
            )

        row = await self._transition(request.case_id, decide)
        return intake_pb2.CancelApplicationResponse(application=self._application_pb(row))

    @grpc_errors
    async def GetApplication(
        self, request: intake_pb2.GetApplicationRequest, context: Any
    ) -> intake_pb2.GetApplicationResponse:
        row = await self._require(request.case_id)
        return intake_pb2.GetApplicationResponse(application=self._application_pb(row))

    @grpc_errors
    async def ListApplications(
        self, request: intake_pb2.ListApplicationsRequest, context: Any
    ) -> intake_pb2.ListApplicationsResponse:
        if not request.hall_id:
            raise _violation("hall_id", "REQUIRED", "必须指定服务大厅", "hall_id is required")
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            raise _violation(
                "page_size",
                "RANGE",
                f"每页数量应在 1 到 {MAX_PAGE} 之间",
                f"page_size must be between 1 and {MAX_PAGE}",
            )
        size = request.page_size or 50
        after = decode_page_token(request.page_token) if request.page_token else None
        status = STATUS_NAMES.get(request.status) if request.status else None
        rows = await self.store.list_by_hall(request.hall_id, status, size + 1, after)
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            token = encode_page_token(rows[-1].created_at, rows[-1].case_id)
        return intake_pb2.ListApplicationsResponse(
            applications=[self._application_pb(r) for r in rows], next_page_token=token
        )

    @grpc_errors
    async def GetMaterial(
        self, request: intake_pb2.GetMaterialRequest, context: Any
    ) -> intake_pb2.GetMaterialResponse:
        await self._require(request.case_id)
        material = (
            await self.store.material(request.case_id, request.material_id)
            if _is_uuid(request.material_id)
            else None
        )
        if material is None:
            raise errors.not_found(f"材料 {request.material_id}", f"material {request.material_id}")
        try:
            data = await self.blobs.get(material.blob_key)
        except BlobStoreError as exc:
            log.warning("material file not read", extra={"case_id": request.case_id, "error": str(exc)})
            raise _store_unavailable() from exc
        return intake_pb2.GetMaterialResponse(material=self._material_pb(material), data=data)


def _case_id(text: str) -> str:
    try:
        uuid.UUID(text)
    except ValueError:
        raise _violation("case_id", "FORMAT", "案件编号格式错误", "case_id is not a UUID") from None
    return text


def _store_unavailable() -> errors.ServiceError:
    return errors.ServiceError(
        grpc.StatusCode.UNAVAILABLE,
        "材料存储暂时不可用，请稍后重试",
        "the file store is unavailable; please try again",
        reason="BLOB_STORE_UNAVAILABLE",
    )


def _case_not_found(case_id: str) -> errors.ServiceError:
    return errors.not_found(f"案件 {case_id}", f"case {case_id}")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


def encode_page_token(created_at: datetime, case_id: str) -> str:
    return f"{created_at.isoformat()}|{case_id}"


def decode_page_token(token: str) -> tuple[datetime, str]:
    try:
        stamp, case_id = token.split("|", 1)
        uuid.UUID(case_id)
        return datetime.fromisoformat(stamp), case_id
    except ValueError:
        raise _violation("page_token", "FORMAT", "分页标记无效", "page_token is not valid") from None
