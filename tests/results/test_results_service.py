"""The results service end to end: real Kafka in, real PostgreSQL, real gRPC."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import grpc
import pytest

from services.results.calendar import default_calendar
from services.results.deadline_watch import DeadlineWatch
from tests.results.results_support import RunningResults, assigned_case
from tests.support import eventually
from tongban.results.v1 import results_pb2
from tongban.types.v1 import types_pb2

D = types_pb2


def decision(
    case_id: str, official: str = "sh-official-1", province: str = "310000", **fields: object
) -> results_pb2.RecordDecisionRequest:
    values: dict[str, object] = dict(
        case_id=case_id,
        official_id=official,
        province=province,
        outcome=D.DECISION_OUTCOME_APPROVED,
        result_kind="certificate",
    )
    values.update(fields)
    return results_pb2.RecordDecisionRequest(**values)  # type: ignore[arg-type]


async def ready_case(results: RunningResults) -> str:
    case_id = str(uuid.uuid4())
    await asyncio.to_thread(results.publish, *assigned_case(case_id))
    await results.wait_status(case_id, "ASSIGNED")
    return case_id


async def test_only_the_assigned_official_of_the_province_decides(results: RunningResults) -> None:
    case_id = await ready_case(results)
    for official, province in (("ah-official-1", "340000"), ("sh-official-2", "310000")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await results.stub.RecordDecision(decision(case_id, official, province))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "承办" in caught.value.details() and "assigned" in caught.value.details()
    assert await results.pool.fetchval("SELECT count(*) FROM decisions") == 0


async def test_approval_issues_a_verifiable_certificate_and_a_forgery_fails(
    results: RunningResults,
) -> None:
    case_id = await ready_case(results)
    reply = await results.stub.RecordDecision(decision(case_id))
    # the reply shows the decision at once, before the projection reads it back
    assert reply.case.outcome == types_pb2.DECISION_OUTCOME_APPROVED
    assert reply.case.status == "DECIDED"
    number = reply.case.certificate_number
    assert number == await results.pool.fetchval(
        "SELECT number FROM certificates WHERE case_id = $1", case_id
    )
    assert number.startswith("TB-310000-")
    digest = await results.pool.fetchval("SELECT hash FROM certificates WHERE number = $1", number)
    genuine = await results.stub.VerifyCertificate(
        results_pb2.VerifyCertificateRequest(certificate_number=number, hash=digest)
    )
    assert genuine.genuine and genuine.holder == "张*" and genuine.province == "310000"
    forged = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert not (
        await results.stub.VerifyCertificate(
            results_pb2.VerifyCertificateRequest(certificate_number=number, hash=forged)
        )
    ).genuine
    assert not (
        await results.stub.VerifyCertificate(
            results_pb2.VerifyCertificateRequest(certificate_number="TB-310000-20000101-000001", hash=digest)
        )
    ).genuine
    pdf = (await results.stub.GetCertificate(results_pb2.GetCertificateRequest(case_id=case_id))).pdf
    assert pdf.startswith(b"%PDF") and number.encode() in pdf
    # the result events come back through Kafka into the timeline
    await results.wait_status(case_id, "DELIVERED")
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # decided once
        await results.stub.RecordDecision(decision(case_id))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_bad_decisions_are_invalid_argument_with_fields(results: RunningResults) -> None:
    case_id = await ready_case(results)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await results.stub.RecordDecision(decision(case_id, outcome=D.DECISION_OUTCOME_REJECTED))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "legal basis" in caught.value.details() and "法律依据" in caught.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await results.stub.RecordDecision(decision(case_id, delivery_method=D.DELIVERY_METHOD_MAIL))
    assert "address" in caught.value.details()


async def test_rating_once_and_a_bad_rating_opens_a_rectification(results: RunningResults) -> None:
    case_id = await ready_case(results)
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # not decided yet
        await results.stub.SubmitEvaluation(results_pb2.SubmitEvaluationRequest(case_id=case_id, level=5))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await results.stub.RecordDecision(
        decision(
            case_id,
            outcome=D.DECISION_OUTCOME_REJECTED,
            reason_code="NOT_ELIGIBLE",
            legal_basis="《住房公积金管理条例》第二十四条",
        )
    )
    await results.wait_status(case_id, "DECIDED")
    reply = await results.stub.SubmitEvaluation(
        results_pb2.SubmitEvaluationRequest(case_id=case_id, level=1, tags=["long_wait"], comment="等了很久")
    )
    assert reply.rectification_id
    due = await results.pool.fetchval(
        "SELECT due_on FROM rectifications WHERE id = $1", uuid.UUID(reply.rectification_id)
    )
    assert default_calendar().working_days_between(date.today(), due) == 15
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await results.stub.SubmitEvaluation(results_pb2.SubmitEvaluationRequest(case_id=case_id, level=4))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await results.stub.CloseRectification(
        results_pb2.CloseRectificationRequest(
            rectification_id=reply.rectification_id,
            callback_note="已电话回访，解释原因",
            closed_by="supervisor-1",
        )
    )
    await results.wait_status(case_id, "CLOSED")

    async def full_timeline() -> list[results_pb2.TimelineEvent]:
        events = (
            await results.stub.GetCaseTimeline(results_pb2.GetCaseTimelineRequest(case_id=case_id))
        ).events
        return list(events) if any(e.type.endswith("RectificationClosed") for e in events) else []

    timeline = await eventually(full_timeline, timeout=30)
    kinds = [e.type.rsplit(".", 1)[1] for e in timeline]
    assert kinds[:5] == [
        "ApplicationCreated",
        "ApplicationSubmitted",
        "CaseQueued",
        "CaseReserved",
        "CaseAssigned",
    ]
    assert {
        "DecisionRecorded",
        "EvaluationSubmitted",
        "RectificationOpened",
        "RectificationClosed",
        "CaseClosed",
    } <= set(kinds)
    assert {e.source for e in timeline} == {"test", "results"}


async def test_invalid_rating_fields(results: RunningResults) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await results.stub.SubmitEvaluation(
            results_pb2.SubmitEvaluationRequest(case_id="x", level=9, tags=["amazing"])
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_deadline_warning_and_overdue_are_sent_once(results: RunningResults) -> None:
    case_id = await ready_case(results)
    await results.pool.execute(
        "UPDATE cases SET submitted_at = submitted_at - interval '30 days' WHERE case_id = $1", case_id
    )
    watch = DeadlineWatch(results.store, default_calendar(), 60, 1)
    _, overdue = await watch.sweep(date.today())
    assert overdue == 1
    assert await watch.sweep(date.today()) == (0, 0)
    assert (
        await results.pool.fetchval("SELECT due_date FROM cases WHERE case_id = $1", case_id) < date.today()
    )
    # a case accepted today warns on the working day one day before its due date
    fresh = await ready_case(results)
    due = await results.pool.fetchval("SELECT due_date FROM cases WHERE case_id = $1", fresh)
    assert due is None or due > date.today()
    await watch.sweep(date.today())
    due = await results.pool.fetchval("SELECT due_date FROM cases WHERE case_id = $1", fresh)
    day = date.today()
    while default_calendar().working_days_between(day, due) != 1 or not default_calendar().is_working_day(
        day
    ):
        day += timedelta(days=1)
    assert (await watch.sweep(day))[0] >= 1
    await eventually(
        lambda: results.pool.fetchval(
            "SELECT count(*) FROM timeline WHERE case_id = $1 AND type LIKE '%CaseOverdue'", case_id
        )
    )


async def test_queries_search_stats_and_anomalies(results: RunningResults) -> None:
    case_id = await ready_case(results)
    await results.stub.RecordDecision(decision(case_id))
    await results.wait_status(case_id, "DELIVERED")
    found = await results.stub.SearchCases(
        results_pb2.SearchCasesRequest(hall_province="340000", target_province="310000")
    )
    assert case_id in [c.case_id for c in found.cases]
    assert all(c.applicant.id_number.count("*") == 8 for c in found.cases)  # masked only
    delivered = await results.stub.SearchCases(results_pb2.SearchCasesRequest(status="DELIVERED"))
    assert case_id in [c.case_id for c in delivered.cases]
    for status in ("delivered", "NO_SUCH_STATUS", "QUEUED\x00"):  # refused, never a DB error
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await results.stub.SearchCases(results_pb2.SearchCasesRequest(status=status))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "status" in caught.value.details() or "NUL" in caught.value.details()
    stats = await results.stub.GetStats(results_pb2.GetStatsRequest(target_province="310000"))
    row = next(r for r in stats.rows if r.matter_code == "HF-TRANSFER")
    assert row.volume == 1 and row.approval_rate == 1.0 and row.median_wait_seconds >= 0
    from tongban.events.v1 import events_pb2

    stray = str(uuid.uuid4())  # a result for a case that never existed: an impossible jump
    await asyncio.to_thread(results.publish, events_pb2.ResultIssued(case_id=stray))

    async def recorded() -> list[str]:
        found = await results.stub.ListAnomalies(results_pb2.ListAnomaliesRequest(limit=1000))
        return [a.description for a in found.anomalies if a.case_id == stray]

    assert "ResultIssued while NEW" in (await eventually(recorded, timeout=30))[0]


async def test_hall_print_jobs_wait_at_the_applicants_hall_until_printed(
    results: RunningResults,
) -> None:
    case_id = await ready_case(results)
    await results.stub.RecordDecision(decision(case_id, delivery_method=D.DELIVERY_METHOD_HALL_PRINT))
    jobs = (await results.stub.ListPrintJobs(results_pb2.ListPrintJobsRequest(hall_id="hall-340104-01"))).jobs
    assert [j.case_id for j in jobs] == [case_id] and jobs[0].holder == "张*"
    await results.wait_status(case_id, "RESULT_ISSUED")
    await results.stub.RecordDelivery(
        results_pb2.RecordDeliveryRequest(case_id=case_id, reference="print-0001")
    )
    assert not (
        await results.stub.ListPrintJobs(results_pb2.ListPrintJobsRequest(hall_id="hall-340104-01"))
    ).jobs
    done = (
        await results.stub.ListPrintJobs(
            results_pb2.ListPrintJobsRequest(hall_id="hall-340104-01", include_done=True)
        )
    ).jobs
    assert done[0].HasField("printed_at")
    await results.wait_status(case_id, "DELIVERED")


async def test_operators_see_a_case_left_in_a_window_that_closed_without_a_decision(
    results: RunningResults,
) -> None:
    """Issue 13, bug 5: an official whose decision failed closes the window; the case stays
    IN_WINDOW with nobody responsible. It is listed until someone decides it."""
    from tongban.events.v1 import events_pb2

    left, live = str(uuid.uuid4()), str(uuid.uuid4())
    for case_id in (left, live):
        await asyncio.to_thread(
            results.publish, *assigned_case(case_id), events_pb2.WindowConnected(case_id=case_id)
        )
    await asyncio.to_thread(results.publish, events_pb2.WindowClosed(case_id=left, reason="completed"))

    async def unattended() -> list[results_pb2.Anomaly]:
        found = await results.stub.ListAnomalies(results_pb2.ListAnomaliesRequest(limit=1000))
        return [a for a in found.anomalies if a.case_id in (left, live)]

    async def listed() -> list[results_pb2.Anomaly]:
        return [a for a in await unattended() if a.case_id == left]

    (anomaly,) = await eventually(listed, timeout=30)
    assert "IN_WINDOW" in anomaly.description and "nobody is responsible" in anomaly.description
    closed = await results.pool.fetchval(
        "SELECT event_id::text FROM timeline WHERE case_id = $1 AND type LIKE '%WindowClosed'", left
    )
    assert anomaly.event_id == closed and anomaly.recorded_at.seconds > 0
    await results.wait_status(live, "IN_WINDOW")
    assert [a.case_id for a in await unattended()] == [left]  # a live window is attended
    # deciding it (the official still holds it) takes it off the list at once
    await results.stub.RecordDecision(decision(left))
    assert await unattended() == []
