"""The operators' views: any case's timeline, figures, queues, anomalies, dead letters,
consumer lag and the live event rates. Personal data is masked in everything they see."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from gateway import access, kafka_ops
from gateway.auth import OperatorSession
from gateway.context import client_of, gateway_of
from gateway.convert import to_json
from gateway.errors import ApiError
from services.shared import pii
from tongban.results.v1 import results_pb2
from tongban.routing.v1 import routing_pb2

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/operator", tags=["operator"])
CaseId = Annotated[str, Path(min_length=1, max_length=64)]
Province = Annotated[str, Query(pattern=r"^([0-9]{6})?$")]
KAFKA_TIMEOUT_S = 15.0


def kafka_unavailable() -> ApiError:
    return ApiError(
        503, "service_unavailable", "Kafka 暂时不可用", "Kafka is unavailable", headers={"Retry-After": "5"}
    )


@router.get("/cases")
async def search_cases(
    request: Request,
    session: OperatorSession,
    hall_province: Province = "",
    target_province: Province = "",
    matter_code: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
    page_token: Annotated[str, Query(max_length=200)] = "",
) -> dict[str, Any]:
    gateway = gateway_of(request)
    await gateway.store.audit(
        session.account.username,
        "cases_searched",
        client=client_of(request),
        detail=f"hall={hall_province} target={target_province} matter={matter_code} status={status}",
    )
    reply = await gateway.services.call(
        "results",
        "SearchCases",
        results_pb2.SearchCasesRequest(
            hall_province=hall_province,
            target_province=target_province,
            matter_code=matter_code,
            status=status,
            page_size=50,
            page_token=page_token,
        ),
    )
    return access.masked(
        {"cases": [to_json(c) for c in reply.cases], "next_page_token": reply.next_page_token}
    )


@router.get("/cases/{case_id}/timeline")
async def timeline(request: Request, session: OperatorSession, case_id: CaseId) -> dict[str, Any]:
    """The case (masked) and every event of it, in order. Every view is audited."""
    gateway = gateway_of(request)
    case = await access.results_case(gateway, case_id)
    reply = await gateway.services.call(
        "results", "GetCaseTimeline", results_pb2.GetCaseTimelineRequest(case_id=case_id)
    )
    events = []
    for event in reply.events:
        item = to_json(event)
        try:
            item["data"] = pii.for_people(json.loads(item.pop("data_json") or "{}"))
        except ValueError:
            item["data"] = {}
        events.append(item)
    if case is None and not events:
        raise ApiError(404, "not_found", f"未找到案件 {case_id}", f"case {case_id} not found")
    await gateway.store.audit(session.account.username, "timeline_viewed", case_id, client_of(request))
    return access.masked({"case": to_json(case) if case else None, "events": events})


@router.get("/stats")
async def stats(
    request: Request,
    session: OperatorSession,
    hall_province: Province = "",
    target_province: Province = "",
    matter_code: Annotated[str, Query(max_length=64)] = "",
) -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "results",
        "GetStats",
        results_pb2.GetStatsRequest(
            hall_province=hall_province, target_province=target_province, matter_code=matter_code
        ),
    )
    return {"rows": [to_json(r) for r in reply.rows]}


@router.get("/queues")
async def queues(request: Request, session: OperatorSession, province: Province = "") -> dict[str, Any]:
    """Depth, oldest wait and available officials per province and department."""
    reply = await gateway_of(request).services.call(
        "routing", "ListQueues", routing_pb2.ListQueuesRequest(province=province), timeout=30.0
    )
    return {"queues": [to_json(q) for q in reply.queues]}


@router.get("/anomalies")
async def anomalies(
    request: Request, session: OperatorSession, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "results", "ListAnomalies", results_pb2.ListAnomaliesRequest(limit=limit)
    )
    return {"anomalies": [to_json(a) for a in reply.anomalies]}


async def _kafka(call: Any, *args: Any) -> Any:
    try:
        return await asyncio.wait_for(asyncio.to_thread(call, *args), KAFKA_TIMEOUT_S)
    except (TimeoutError, OSError, kafka_ops.KafkaDown) as error:
        log.warning("kafka read failed", extra={"error": repr(error)})
        raise kafka_unavailable() from None
    except Exception as error:  # kafka-python raises its own hierarchy for a broker down
        if type(error).__module__.startswith("kafka"):
            log.warning("kafka read failed", extra={"error": repr(error)})
            raise kafka_unavailable() from None
        raise


@router.get("/dead-letters")
async def dead_letters(
    request: Request, session: OperatorSession, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """The newest dead-lettered records: where from, why, which consumer (never the value)."""
    settings = gateway_of(request).settings
    return {
        "records": await _kafka(kafka_ops.dead_letters, settings.kafka_bootstrap, settings.catalog(), limit)
    }


@router.get("/lag")
async def lag(request: Request, session: OperatorSession) -> dict[str, Any]:
    """Per consumer group and topic: committed offsets, end offsets, lag."""
    settings = gateway_of(request).settings
    return {"groups": await _kafka(kafka_ops.consumer_lag, settings.kafka_bootstrap, settings.catalog())}


@router.get("/live")
async def live_figures(
    request: Request, session: OperatorSession, seconds: Annotated[int, Query(ge=10, le=120)] = 60
) -> dict[str, Any]:
    """From the live stream since this gateway started: events per second per topic (and
    the per-second series), SLA breaches, window quality, ratings."""
    return gateway_of(request).hub.figures.snapshot(seconds)
