"""Intake end to end against the real PostgreSQL, Kafka and a real gRPC server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from kafka import KafkaConsumer

from cli.idgen import make_id_number
from services.shared import cloudevents
from tests.intake.intake_support import JPEG, PDF, RunningIntake, upload_chunks
from tests.support import eventually
from tongban.intake.v1 import intake_pb2
from tongban.types.v1 import types_pb2

ID_NUMBER = make_id_number("340104", date(1958, 3, 9), 123)  # 68 years old: elderly
PHONE = "13812345678"


def create_request(**overrides: object) -> intake_pb2.CreateApplicationRequest:
    fields: dict[str, object] = dict(
        request_id=str(uuid.uuid4()),
        applicant_name="张三",
        id_number=ID_NUMBER,
        phone=PHONE,
        hall_id="hall-340104-01",
        matter_code="HF-WITHDRAW-RETIRE",
        target_province="310000",
        preferred_language="zh",
    )
    fields.update(overrides)
    return intake_pb2.CreateApplicationRequest(**fields)  # type: ignore[arg-type]


def records_for(bootstrap: str, case_id: str) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    consumer = KafkaConsumer(
        "tongban.application",
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
    )
    found = [(r.key, r.value, r.headers) for r in consumer if r.key == case_id.encode()]
    consumer.close()
    return found


async def test_create_upload_submit_publishes_masked_events(
    intake: RunningIntake, kafka_bootstrap: str
) -> None:
    created = (await intake.stub.CreateApplication(create_request())).application
    assert created.status == intake_pb2.APPLICATION_STATUS_DRAFT
    assert created.applicant.id_number == "340104********" + ID_NUMBER[-4:]
    assert created.applicant.name == "张*" and created.applicant.phone == "138****5678"
    assert created.needs.elderly
    for code, data in (("id_card", JPEG), ("form", PDF), ("retire_cert", JPEG)):
        reply = await intake.stub.UploadMaterial(iter(upload_chunks(created.case_id, code, data)))
        assert reply.material.size == len(data)
    submitted = await intake.stub.SubmitApplication(
        intake_pb2.SubmitApplicationRequest(case_id=created.case_id)
    )
    assert submitted.application.status == intake_pb2.APPLICATION_STATUS_SUBMITTED
    assert submitted.accepted_with_deficiency  # bank card (non-key) still missing: 容缺受理
    assert list(submitted.application.missing_materials) == ["bank_card"]

    records = await eventually(
        lambda: asyncio.to_thread(
            lambda: (r := records_for(kafka_bootstrap, created.case_id)) and len(r) >= 5 and r
        ),
        timeout=30,
    )
    types = [cloudevents.decode(*r).short_type for r in records]
    assert types == [
        "ApplicationCreated",
        "MaterialUploaded",
        "MaterialUploaded",
        "MaterialUploaded",
        "ApplicationSubmitted",
    ]
    first = cloudevents.decode(*records[0]).event
    assert first.applicant.id_number == created.applicant.id_number  # type: ignore[attr-defined]
    assert len(first.applicant.pseudonym) == 32  # type: ignore[attr-defined]
    for key, value, headers in records:  # no clear personal data in any record
        blob = key + value + b"".join(v for _, v in headers)
        assert ID_NUMBER.encode() not in blob and PHONE.encode() not in blob
        assert "张三".encode() not in blob


async def test_personal_data_is_encrypted_at_rest(intake: RunningIntake) -> None:
    created = (await intake.stub.CreateApplication(create_request())).application
    row = await intake.pool.fetchrow(
        "SELECT * FROM applications WHERE case_id = $1", uuid.UUID(created.case_id)
    )
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    assert ID_NUMBER.encode() not in stored and PHONE.encode() not in stored
    bound = created.case_id.encode()
    assert intake.keyring.decrypt(row["id_number_enc"], bound + b"|id").decode() == ID_NUMBER
    with pytest.raises(Exception, match="tampered"):
        intake.keyring.decrypt(row["id_number_enc"], bound + b"|phone")  # bound to its field


async def test_a_retry_returns_the_same_application(intake: RunningIntake) -> None:
    request = create_request()
    first = (await intake.stub.CreateApplication(request)).application
    again = (await intake.stub.CreateApplication(request)).application
    assert first.case_id == again.case_id
    assert await intake.pool.fetchval("SELECT count(*) FROM applications") == 1
    assert (
        await intake.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'tongban.events.v1.ApplicationCreated'"
        )
        == 1
    )


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found.update({v.field: v.reason for v in bad.field_violations})
    return found


async def test_bad_input_is_invalid_argument_with_fields_and_writes_nothing(
    intake: RunningIntake,
) -> None:
    bad_id = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.CreateApplication(
            create_request(id_number=bad_id, phone="12345", target_province="340000")
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == {
        "id_number": "CHECK_DIGIT",
        "phone": "FORMAT",
        "target_province": "NOT_CROSS_PROVINCE",
    }
    assert "校验位" in caught.value.details() and "check digit" in caught.value.details()
    assert await intake.pool.fetchval("SELECT count(*) FROM applications") == 0
    assert await intake.pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_wrong_file_type_and_missing_key_materials(intake: RunningIntake) -> None:
    case_id = (await intake.stub.CreateApplication(create_request())).application.case_id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.UploadMaterial(iter(upload_chunks(case_id, "id_card", b"GIF89a" * 100)))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == {"data": "TYPE"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "居民身份证" in caught.value.details() and "identity card" in caught.value.details()
    assert await intake.pool.fetchval("SELECT count(*) FROM materials") == 0
    assert await intake.pool.fetchval("SELECT status FROM applications") == "DRAFT"


async def test_oversized_upload_is_refused(intake: RunningIntake) -> None:
    case_id = (await intake.stub.CreateApplication(create_request())).application.case_id
    big = JPEG + b"\0" * (20 * 1024 * 1024)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.UploadMaterial(iter(upload_chunks(case_id, "id_card", big, chunk=1 << 20)))
    assert violations(caught.value) == {"data": "TOO_LARGE"}


async def test_cancel_and_state_rules(intake: RunningIntake) -> None:
    case_id = (await intake.stub.CreateApplication(create_request())).application.case_id
    cancelled = await intake.stub.CancelApplication(
        intake_pb2.CancelApplicationRequest(case_id=case_id, reason="changed_mind")
    )
    assert cancelled.application.status == intake_pb2.APPLICATION_STATUS_CANCELLED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.GetApplication(intake_pb2.GetApplicationRequest(case_id=str(uuid.uuid4())))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_catalog_queries_and_paged_listing(intake: RunningIntake) -> None:
    matters = (await intake.stub.ListMatters(intake_pb2.ListMattersRequest(query="公积金"))).matters
    assert matters and all("公积金" in m.name_zh for m in matters)
    assert types_pb2.DELIVERY_METHOD_E_CERTIFICATE in matters[0].delivery_methods
    assert len((await intake.stub.ListProvinces(intake_pb2.ListProvincesRequest())).provinces) == 31
    halls = (await intake.stub.ListHalls(intake_pb2.ListHallsRequest(province="340000"))).halls
    assert {h.province for h in halls} == {"340000"}
    for _ in range(5):
        await intake.stub.CreateApplication(create_request())
    seen: list[str] = []
    token = ""
    while True:
        page = await intake.stub.ListApplications(
            intake_pb2.ListApplicationsRequest(hall_id="hall-340104-01", page_size=2, page_token=token)
        )
        seen += [a.case_id for a in page.applications]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) == 5


async def test_supplements_requested_by_the_official_are_uploaded_and_submitted_again(
    intake: RunningIntake, kafka_bootstrap: str
) -> None:
    """补正: results' DecisionRecorded (SUPPLEMENT_REQUESTED) on the real broker sends the
    application back; it is submitted again, as round 2, only once the supplement arrives."""
    from kafka import KafkaProducer

    from tongban.events.v1 import events_pb2

    created = (await intake.stub.CreateApplication(create_request())).application
    case_id = created.case_id
    for code, data in (("id_card", JPEG), ("form", PDF), ("retire_cert", JPEG)):
        await intake.stub.UploadMaterial(iter(upload_chunks(case_id, code, data)))
    await intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    decision = cloudevents.stamp(
        events_pb2.DecisionRecorded(
            case_id=case_id,
            official_id="sh-official-1",
            province="310000",
            outcome=types_pb2.DECISION_OUTCOME_SUPPLEMENT_REQUESTED,
            # a request recorded before results checked it names a material the matter
            # lacks: waiting for it would leave the case stuck, so intake ignores it
            supplements=["retire_cert", "no_such_material"],
        )
    )
    key, value, headers = cloudevents.encode(decision, source="results", key=case_id)

    def publish() -> None:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
        producer.send("tongban.result", key=key, value=value, headers=headers).get(15)
        producer.close()

    await asyncio.to_thread(publish)

    async def sent_back() -> intake_pb2.Application | None:
        found = (
            await intake.stub.GetApplication(intake_pb2.GetApplicationRequest(case_id=case_id))
        ).application
        return found if found.status == intake_pb2.APPLICATION_STATUS_SUPPLEMENT_REQUESTED else None

    back = await eventually(sent_back, timeout=30)
    assert list(back.requested_supplements) == ["retire_cert"]
    assert back.HasField("supplements_requested_at")
    # the retirement certificate uploaded before the request is what was found wanting
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Retirement certificate" in (caught.value.details() or "")
    await intake.stub.UploadMaterial(iter(upload_chunks(case_id, "retire_cert", JPEG + b"v2")))
    again = await intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    assert again.application.status == intake_pb2.APPLICATION_STATUS_SUBMITTED
    assert not again.application.requested_supplements
    assert again.application.submitted_at == back.submitted_at  # the clock's first start

    # the same decision redelivered changes nothing: the case stays submitted
    await asyncio.to_thread(publish)
    await asyncio.sleep(3)
    still = (await intake.stub.GetApplication(intake_pb2.GetApplicationRequest(case_id=case_id))).application
    assert still.status == intake_pb2.APPLICATION_STATUS_SUBMITTED

    records = await eventually(
        lambda: asyncio.to_thread(
            lambda: (
                (r := records_for(kafka_bootstrap, case_id))
                and sum(cloudevents.decode(*x).short_type == "ApplicationSubmitted" for x in r) == 2
                and r
            )
        ),
        timeout=30,
    )
    submissions = [
        cloudevents.decode(*r).event
        for r in records
        if cloudevents.decode(*r).short_type == "ApplicationSubmitted"
    ]
    assert [(s.submission_round, s.resubmission) for s in submissions] == [(1, False), (2, True)]
