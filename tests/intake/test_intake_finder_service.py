"""SearchMatters over the real intake gRPC service: answers, quick picks and bad input."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.intake.intake_support import RunningIntake
from tongban.intake.v1 import intake_pb2

HEFEI = "hall-340104-01"


async def test_search_finds_by_common_name_and_pinyin_with_the_whole_matter(intake: RunningIntake) -> None:
    for query in ("公积金退休提取", "tuixiu tiqu gongjijin"):
        reply = await intake.stub.SearchMatters(intake_pb2.SearchMattersRequest(hall_id=HEFEI, query=query))
        assert reply.outcome == intake_pb2.SEARCH_OUTCOME_MATCHED
        first = reply.hits[0].matter
        assert first.code == "HF-WITHDRAW-RETIRE" and reply.hits[0].score > 0
        assert first.remote_window and "310000" in first.provinces and first.materials


async def test_counts_from_the_caller_order_the_quick_picks(intake: RunningIntake) -> None:
    reply = await intake.stub.SearchMatters(
        intake_pb2.SearchMattersRequest(hall_id=HEFEI, matter_counts={"TX-TAX-PROOF": 7}, limit=3)
    )
    assert reply.outcome == intake_pb2.SEARCH_OUTCOME_QUICK_PICKS
    assert [h.matter.code for h in reply.hits][:1] == ["TX-TAX-PROOF"] and len(reply.hits) == 3
    nothing = await intake.stub.SearchMatters(intake_pb2.SearchMattersRequest(hall_id=HEFEI, query="xyzzy"))
    assert nothing.outcome == intake_pb2.SEARCH_OUTCOME_NO_MATCH and nothing.hits


async def test_bad_input_is_invalid_argument_with_every_field(intake: RunningIntake) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.SearchMatters(
            intake_pb2.SearchMattersRequest(hall_id="nowhere", query="x" * 101, limit=-1)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    next(d for d in status.details if d.Is(bad.DESCRIPTOR)).Unpack(bad)
    assert {v.field for v in bad.field_violations} == {"hall_id", "query", "limit"}
