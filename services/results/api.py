"""gRPC `tongban.results.v1.ResultsService`: decisions by the assigned official only, results
and their delivery, 好差评 with rectifications, and the operators' queries.

The rules (who decides what, when; what a decision or rating sets going) are decisions.py,
pure; the SQL is store.py; this module checks, asks the store and emits the events."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date
from typing import Any

import asyncpg

from services.results import certificate, decisions, evaluation
from services.results import status as status_machine
from services.results.calendar import WorkCalendar
from services.results.certificate import CertificateFields
from services.results.decisions import DecisionPlan
from services.results.store import ResultsStore, case_view
from services.shared import cloudevents, errors, pii
from services.shared.catalog import Catalog
from services.shared.errors import FieldViolation, ValidationFailed, grpc_errors
from tongban.events.v1 import events_pb2
from tongban.results.v1 import results_pb2, results_pb2_grpc
from tongban.types.v1 import types_pb2

D = types_pb2
MAX_PAGE = 500


def _bad(field: str, code: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed([FieldViolation(field, code, zh, en)])


def case_pb(row: asyncpg.Record) -> results_pb2.Case:
    return results_pb2.Case(
        case_id=row["case_id"],
        status=row["status"],
        hall_province=row["hall_province"],
        target_province=row["target_province"],
        matter_code=row["matter_code"],
        applicant=D.MaskedApplicant(
            name=row["applicant_name"],
            id_number=row["applicant_id"],
            phone=row["applicant_phone"],
            pseudonym=row["pseudonym"],
        ),
        official_id=row["official_id"],
        outcome=row["outcome"],
        due_date=row["due_date"].isoformat() if row["due_date"] else "",
        certificate_number=row["certificate_number"],
        evaluation_level=row["evaluation_level"],
        submitted_at=cloudevents.timestamp(row["submitted_at"]),
        updated_at=cloudevents.timestamp(row["updated_at"]),
        hall_id=row["hall_id"],
        delivery_method=row["delivery_method"],
        delivery_reference=row["delivery_reference"],
    )


class ResultsApi(results_pb2_grpc.ResultsServiceServicer):
    def __init__(
        self,
        store: ResultsStore,
        catalog: Catalog,
        calendar: WorkCalendar,
        certificate_secret: bytes,
        keyring: pii.Keyring,
        public_base_url: str,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.calendar = calendar
        self.secret = certificate_secret
        self.keyring = keyring
        self.base_url = public_base_url
        self.today = today  # the service's clock: every dated rule asks it

    # ------------------------------------------------------------ decisions and results

    @grpc_errors
    async def RecordDecision(
        self, request: results_pb2.RecordDecisionRequest, context: Any
    ) -> results_pb2.RecordDecisionResponse:
        decisions.validate_request(request)
        errors.check_free_text(
            legal_basis=request.legal_basis,
            reason_code=request.reason_code,
            transfer_to=request.transfer_to,
            supplements=list(request.supplements),
        )
        async with self.store.pool.acquire() as conn, conn.transaction():
            row = await self.store.case(request.case_id, conn, lock=True)
            if row is None:
                raise errors.not_found(f"案件 {request.case_id}", f"case {request.case_id}")
            case = case_view(row)
            decisions.check_decider(case, request.official_id, request.province)
            decisions.validate_for_matter(request, self.catalog.matter(row["matter_code"]))
            last = await self.store.last_decision(conn, request.case_id)
            decisions.check_decidable(case, last["decided_at"] if last else None)
            plan = decisions.plan_decision(request, self.today())
            decided = await self._decide(conn, row, request, plan)
            fresh = await self.store.case(request.case_id, conn)
        assert fresh is not None
        # The case row moves when the projection reads DecisionRecorded back from Kafka; the
        # official is shown the case as that event makes it, now.
        reply = case_pb(fresh)
        reply.status = status_machine.apply(
            reply.status, "DecisionRecorded", status_machine.outcome_word(decided.outcome)
        ).new_status
        reply.outcome = decided.outcome
        reply.certificate_number = decided.certificate_number or reply.certificate_number
        return results_pb2.RecordDecisionResponse(case=reply)

    async def _decide(
        self,
        conn: asyncpg.Connection,
        case: asyncpg.Record,
        request: results_pb2.RecordDecisionRequest,
        plan: DecisionPlan,
    ) -> events_pb2.DecisionRecorded:
        case_id = case["case_id"]
        address = (
            self.keyring.encrypt(request.mail_address.encode(), case_id.encode())
            if request.mail_address
            else None
        )
        await self.store.record_decision(conn, case_id, request, plan.delivery_method, address)
        decided = events_pb2.DecisionRecorded(
            case_id=case_id,
            official_id=request.official_id,
            outcome=request.outcome,
            result_kind=request.result_kind,
            reason_code=request.reason_code,
            legal_basis=request.legal_basis,
            supplements=list(request.supplements),
            transfer_to=request.transfer_to,
            province=request.province,
        )
        events: list[Any] = []
        if plan.pause_from is not None:
            await self.store.open_pause(conn, case_id, plan.pause_from)
        if plan.issues_result:
            number = ""
            if plan.certificate_on is not None:
                number = await self._issue_certificate(conn, case, plan.certificate_on)
                decided.certificate_number = number
            method = plan.delivery_method
            events.append(events_pb2.ResultIssued(case_id=case_id, method=method, certificate_number=number))
            await self.store.open_delivery(conn, case_id, method, case["hall_id"])
            if plan.delivered_at_once:
                await self.store.mark_delivered(conn, case_id, number)
                events.append(events_pb2.ResultDelivered(case_id=case_id, method=method, reference=number))
        await self.store.emit(conn, *(cloudevents.stamp(e) for e in [decided, *events]))
        return decided

    async def _issue_certificate(
        self, conn: asyncpg.Connection, case: asyncpg.Record, issued_on: date
    ) -> str:
        sequence = await self.store.next_certificate_sequence(conn, case["target_province"], issued_on)
        matter = self.catalog.matter(case["matter_code"])
        province = self.catalog.province(case["target_province"])
        fields = CertificateFields(
            number=certificate.certificate_number(case["target_province"], issued_on, sequence),
            case_id=case["case_id"],
            matter_code=case["matter_code"],
            matter_zh=matter.name_zh if matter else case["matter_code"],
            matter_en=matter.name_en if matter else case["matter_code"],
            holder_masked=case["applicant_name"],
            holder_id_masked=case["applicant_id"],
            province=case["target_province"],
            province_zh=province.name_zh if province else case["target_province"],
            issued_on=issued_on,
        )
        digest = certificate.verification_hash(self.secret, fields)
        await self.store.save_certificate(
            conn, fields, digest, certificate.render_pdf(fields, digest, self.base_url)
        )
        return fields.number

    @grpc_errors
    async def RecordDelivery(
        self, request: results_pb2.RecordDeliveryRequest, context: Any
    ) -> results_pb2.RecordDeliveryResponse:
        if not request.reference.strip():
            raise _bad(
                "reference",
                "REQUIRED",
                "请填写运单号或打印单号",
                "the tracking number or print job id is required",
            )
        async with self.store.pool.acquire() as conn, conn.transaction():
            delivery = await self.store.delivery(conn, request.case_id)
            if delivery is None:
                raise errors.not_found(
                    f"案件 {request.case_id} 的送达记录", f"delivery of case {request.case_id}"
                )
            if delivery["delivered_at"] is not None:
                raise errors.failed_precondition("结果已送达", "the result was already delivered")
            await self.store.mark_delivered(conn, request.case_id, request.reference, request.carrier)
            events: list[Any] = [
                events_pb2.ResultDelivered(
                    case_id=request.case_id, method=delivery["method"], reference=request.reference
                )
            ]
            if decisions.closes_on_delivery(await self.store.is_rated(conn, request.case_id)):
                events.append(
                    events_pb2.CaseClosed(case_id=request.case_id, outcome=D.DECISION_OUTCOME_APPROVED)
                )
            await self.store.emit(conn, *(cloudevents.stamp(e) for e in events))
            case = await self.store.case(request.case_id, conn)
        assert case is not None
        return results_pb2.RecordDeliveryResponse(case=case_pb(case))

    # ------------------------------------------------------------ 好差评

    @grpc_errors
    async def SubmitEvaluation(
        self, request: results_pb2.SubmitEvaluationRequest, context: Any
    ) -> results_pb2.SubmitEvaluationResponse:
        evaluation.validate(request.level, list(request.tags), request.comment)
        errors.check_free_text(comment=request.comment)
        async with self.store.pool.acquire() as conn, conn.transaction():
            row = await self.store.case(request.case_id, conn, lock=True)
            if row is None:
                raise errors.not_found(f"案件 {request.case_id}", f"case {request.case_id}")
            case = case_view(row)
            decisions.check_rateable(case, await self.store.is_rated(conn, request.case_id))
            today = self.today()
            delivered = await self.store.is_delivered(conn, request.case_id)
            plan = decisions.plan_rating(request.level, case.outcome, delivered, today, self.calendar)
            await self.store.save_rating(
                conn, request.case_id, request.level, list(request.tags), request.comment
            )
            events: list[Any] = [
                events_pb2.EvaluationSubmitted(
                    case_id=request.case_id,
                    level=request.level,
                    tags=list(request.tags),
                    province=case.target_province,
                )
            ]
            rectification_id = ""
            if plan.rectification_due is not None:
                rectification_id = str(uuid.uuid4())
                due = plan.rectification_due
                await self.store.open_rectification(
                    conn, uuid.UUID(rectification_id), request.case_id, today, due
                )
                events.append(
                    events_pb2.RectificationOpened(
                        case_id=request.case_id, rectification_id=rectification_id, due_date=due.isoformat()
                    )
                )
            if plan.closes:
                events.append(events_pb2.CaseClosed(case_id=request.case_id, outcome=case.outcome))
            await self.store.emit(conn, *(cloudevents.stamp(e) for e in events))
        return results_pb2.SubmitEvaluationResponse(rectification_id=rectification_id)

    @grpc_errors
    async def CloseRectification(
        self, request: results_pb2.CloseRectificationRequest, context: Any
    ) -> results_pb2.CloseRectificationResponse:
        if not request.callback_note.strip():
            raise _bad("callback_note", "REQUIRED", "须记录回访情况", "the call-back (回访) must be recorded")
        errors.check_free_text(callback_note=request.callback_note)
        try:
            uuid.UUID(request.rectification_id)
        except ValueError:
            raise _bad(
                "rectification_id", "FORMAT", "整改编号格式错误", "rectification_id is not a UUID"
            ) from None
        async with self.store.pool.acquire() as conn, conn.transaction():
            row = await self.store.rectification(conn, uuid.UUID(request.rectification_id))
            if row is None:
                raise errors.not_found("整改记录", "rectification")
            if row["closed_at"] is not None:
                raise errors.failed_precondition("整改已关闭", "the rectification is already closed")
            await self.store.close_rectification(conn, row["id"], request.callback_note, request.closed_by)
            await self.store.emit(
                conn,
                cloudevents.stamp(
                    events_pb2.RectificationClosed(
                        case_id=row["case_id"],
                        rectification_id=request.rectification_id,
                        callback_note=request.callback_note,
                    )
                ),
            )
        return results_pb2.CloseRectificationResponse()

    # ------------------------------------------------------------ queries

    @grpc_errors
    async def GetCase(self, request: results_pb2.GetCaseRequest, context: Any) -> results_pb2.GetCaseResponse:
        case = await self.store.case(request.case_id)
        if case is None:
            raise errors.not_found(f"案件 {request.case_id}", f"case {request.case_id}")
        return results_pb2.GetCaseResponse(case=case_pb(case))

    @grpc_errors
    async def GetCaseTimeline(
        self, request: results_pb2.GetCaseTimelineRequest, context: Any
    ) -> results_pb2.GetCaseTimelineResponse:
        if not request.case_id:
            raise _bad("case_id", "REQUIRED", "缺少案件编号", "case_id is required")
        rows = await self.store.timeline(request.case_id)
        return results_pb2.GetCaseTimelineResponse(
            events=[
                results_pb2.TimelineEvent(
                    event_id=r["event_id"],
                    type=r["type"],
                    source=r["source"],
                    time=cloudevents.timestamp(r["time"]),
                    data_json=r["data"],
                )
                for r in rows
            ]
        )

    @grpc_errors
    async def SearchCases(
        self, request: results_pb2.SearchCasesRequest, context: Any
    ) -> results_pb2.SearchCasesResponse:
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            raise _bad(
                "page_size",
                "RANGE",
                f"每页数量应在 1 到 {MAX_PAGE} 之间",
                f"page_size must be between 1 and {MAX_PAGE}",
            )
        if request.status and request.status not in status_machine.STATUSES:
            raise _bad(
                "status",
                "UNKNOWN",
                "案件状态无效",
                f"status must be one of {', '.join(status_machine.STATUSES)}",
            )
        size = request.page_size or 50
        filters: dict[str, Any] = {
            "hall_province": request.hall_province,
            "target_province": request.target_province,
            "matter_code": request.matter_code,
            "status": request.status,
            "official_id": request.official_id,
            "from_time": request.from_time.ToDatetime(tzinfo=UTC) if request.HasField("from_time") else None,
            "to_time": request.to_time.ToDatetime(tzinfo=UTC) if request.HasField("to_time") else None,
        }
        rows = await self.store.search(filters, request.page_token or None, size + 1)
        token = rows[size - 1]["case_id"] if len(rows) > size else ""
        return results_pb2.SearchCasesResponse(cases=[case_pb(r) for r in rows[:size]], next_page_token=token)

    @grpc_errors
    async def GetStats(
        self, request: results_pb2.GetStatsRequest, context: Any
    ) -> results_pb2.GetStatsResponse:
        rows = await self.store.stats(
            {
                "hall_province": request.hall_province,
                "target_province": request.target_province,
                "matter_code": request.matter_code,
            }
        )
        return results_pb2.GetStatsResponse(
            rows=[
                results_pb2.StatsRow(
                    hall_province=r["hall_province"],
                    target_province=r["target_province"],
                    matter_code=r["matter_code"],
                    volume=r["volume"],
                    median_wait_seconds=r["median_wait"] or 0.0,
                    p90_wait_seconds=r["p90_wait"] or 0.0,
                    median_handling_seconds=r["median_handling"] or 0.0,
                    approval_rate=r["approval_rate"] or 0.0,
                    satisfaction_rate=r["satisfaction_rate"] or 0.0,
                    overdue=r["overdue"],
                )
                for r in rows
            ]
        )

    @grpc_errors
    async def VerifyCertificate(
        self, request: results_pb2.VerifyCertificateRequest, context: Any
    ) -> results_pb2.VerifyCertificateResponse:
        found = await self.store.certificate_by_number(request.certificate_number.strip())
        if found is None:
            return results_pb2.VerifyCertificateResponse(genuine=False)
        fields, _ = found
        if not certificate.verify(self.secret, fields, request.hash):
            return results_pb2.VerifyCertificateResponse(genuine=False)
        return results_pb2.VerifyCertificateResponse(
            genuine=True,
            matter_code=fields.matter_code,
            province=fields.province,
            issued_on=fields.issued_on.isoformat(),
            holder=fields.holder_masked,
        )

    @grpc_errors
    async def GetCertificate(
        self, request: results_pb2.GetCertificateRequest, context: Any
    ) -> results_pb2.GetCertificateResponse:
        row = await self.store.certificate_of_case(request.case_id)
        if row is None:
            raise errors.not_found(
                f"案件 {request.case_id} 的电子证明", f"certificate of case {request.case_id}"
            )
        return results_pb2.GetCertificateResponse(certificate_number=row["number"], pdf=row["pdf"])

    @grpc_errors
    async def ListAnomalies(
        self, request: results_pb2.ListAnomaliesRequest, context: Any
    ) -> results_pb2.ListAnomaliesResponse:
        limit = min(max(request.limit or 100, 1), 1000)
        rows = await self.store.anomalies(limit)
        return results_pb2.ListAnomaliesResponse(
            anomalies=[
                results_pb2.Anomaly(
                    case_id=r["case_id"],
                    event_id=r["event_id"],
                    description=r["description"],
                    recorded_at=cloudevents.timestamp(r["recorded_at"]),
                )
                for r in rows
            ]
        )

    @grpc_errors
    async def ListPrintJobs(
        self, request: results_pb2.ListPrintJobsRequest, context: Any
    ) -> results_pb2.ListPrintJobsResponse:
        if not request.hall_id:
            raise _bad("hall_id", "REQUIRED", "缺少服务大厅", "hall_id is required")
        rows = await self.store.print_jobs(
            request.hall_id, D.DELIVERY_METHOD_HALL_PRINT, request.include_done
        )
        return results_pb2.ListPrintJobsResponse(
            jobs=[
                results_pb2.PrintJob(
                    case_id=r["case_id"],
                    hall_id=r["hall_id"],
                    matter_code=r["matter_code"],
                    holder=r["applicant_name"],
                    issued_at=cloudevents.timestamp(r["issued_at"]),
                    printed_at=cloudevents.timestamp(r["delivered_at"]),
                )
                for r in rows
            ]
        )
