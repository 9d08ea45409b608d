"""Intake with its S3 store against a real S3-compatible server (SeaweedFS, started by the
suite, enforcing SigV4 credentials)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import uuid

import grpc
import httpx
import pytest

from services.intake import sigv4
from services.intake.blobs import BlobStoreError
from services.intake.s3store import S3BlobStore
from services.shared.errors import parse_rpc_error
from tests.intake.intake_support import JPEG, PDF, RunningIntake, start_intake, store_for, upload_chunks
from tests.intake.test_intake_service import create_request
from tongban.intake.v1 import intake_pb2
from tools.engines import SeaweedNode


async def test_create_upload_submit_stores_the_files_in_the_bucket(s3_intake: RunningIntake) -> None:
    case_id = (await s3_intake.stub.CreateApplication(create_request())).application.case_id
    files = {"id_card": JPEG, "form": PDF, "retire_cert": JPEG[:1500] + os.urandom(700)}
    for code, data in files.items():
        await s3_intake.stub.UploadMaterial(iter(upload_chunks(case_id, code, data)))
    submitted = await s3_intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    assert submitted.application.status == intake_pb2.APPLICATION_STATUS_SUBMITTED
    store = s3_intake.blobs
    assert isinstance(store, S3BlobStore)
    for material in submitted.application.materials:
        data = files[material.code]
        assert material.sha256 == hashlib.sha256(data).hexdigest()
        stored = await store.get(f"{case_id}/{material.sha256}")  # the object itself
        assert stored == data
        served = await s3_intake.stub.GetMaterial(
            intake_pb2.GetMaterialRequest(case_id=case_id, material_id=material.id)
        )
        assert served.data == data


async def test_an_upload_refused_by_the_rules_leaves_no_object(s3_intake: RunningIntake) -> None:
    case_id = (await s3_intake.stub.CreateApplication(create_request())).application.case_id
    await s3_intake.stub.CancelApplication(intake_pb2.CancelApplicationRequest(case_id=case_id))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await s3_intake.stub.UploadMaterial(iter(upload_chunks(case_id, "id_card", JPEG)))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(FileNotFoundError):
        await s3_intake.blobs.get(f"{case_id}/{hashlib.sha256(JPEG).hexdigest()}")


async def test_a_wrong_secret_is_refused_by_the_server(s3_store: S3BlobStore, s3_node: SeaweedNode) -> None:
    forged = store_for(s3_node, s3_store.bucket, secret_key=s3_node.secret_key + "x")
    with pytest.raises(BlobStoreError) as refused:
        await forged.put("case/one", b"%PDF-1.7 forged")
    await forged.close()
    assert (refused.value.status, refused.value.code) == (403, "SignatureDoesNotMatch")
    with pytest.raises(FileNotFoundError):
        await s3_store.get("case/one")


async def test_unsigned_and_tampered_requests_are_refused(
    s3_store: S3BlobStore, s3_node: SeaweedNode
) -> None:
    path = f"/{s3_store.bucket}/case/two"
    body = b"%PDF-1.7 tampered"
    async with httpx.AsyncClient(base_url=s3_node.endpoint) as client:
        unsigned = await client.put(path, content=body)
        assert unsigned.status_code == 403
        headers = sigv4.sign(
            s3_store.credentials,
            "PUT",
            f"127.0.0.1:{s3_node.s3_port}",
            path,
            payload_sha256=hashlib.sha256(body).hexdigest(),
        )
        last = headers["authorization"][-1]
        headers["authorization"] = headers["authorization"][:-1] + ("0" if last != "0" else "1")
        tampered = await client.put(path, content=body, headers=headers)
        assert (tampered.status_code, "SignatureDoesNotMatch" in tampered.text) == (403, True)
    with pytest.raises(FileNotFoundError):
        await s3_store.get("case/two")


async def test_a_body_that_is_not_the_signed_one_is_not_stored(
    s3_store: S3BlobStore, s3_node: SeaweedNode
) -> None:
    path = f"/{s3_store.bucket}/case/three"
    signed_for = b"%PDF-1.7 the file that was signed"
    headers = sigv4.sign(
        s3_store.credentials,
        "PUT",
        f"127.0.0.1:{s3_node.s3_port}",
        path,
        payload_sha256=hashlib.sha256(signed_for).hexdigest(),
    )
    async with httpx.AsyncClient(base_url=s3_node.endpoint) as client:
        swapped = await client.put(path, content=b"%PDF-1.7 another file, same size!", headers=headers)
    assert swapped.status_code == 400 and "XAmzContentSHA256Mismatch" in swapped.text
    with pytest.raises(FileNotFoundError):
        await s3_store.get("case/three")


async def test_a_put_cut_off_midway_leaves_no_object(s3_store: S3BlobStore, s3_node: SeaweedNode) -> None:
    path = f"/{s3_store.bucket}/case/four"
    body = b"%PDF-1.7\n" + os.urandom(256 * 1024)
    host = f"127.0.0.1:{s3_node.s3_port}"
    headers = sigv4.sign(
        s3_store.credentials, "PUT", host, path, payload_sha256=hashlib.sha256(body).hexdigest()
    )
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"content-length: {len(body)}\r\n\r\n"

    def send_half() -> None:
        with socket.create_connection(("127.0.0.1", s3_node.s3_port)) as conn:
            conn.sendall(head.encode() + body[: len(body) // 2])
        # closing here is a client that died mid-upload

    await asyncio.to_thread(send_half)
    await asyncio.sleep(1.0)  # let the server notice the broken upload
    with pytest.raises(FileNotFoundError):
        await s3_store.get("case/four")
    await s3_store.put("case/four", body)  # the same key then stores whole
    assert await s3_store.get("case/four") == body


async def test_store_round_trip_and_idempotent_delete(s3_store: S3BlobStore) -> None:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    key = f"{uuid.uuid4()}/{hashlib.sha256(data).hexdigest()}"
    await s3_store.put(key, data)
    await s3_store.put(key, data)  # content-addressed: writing again is harmless
    assert await s3_store.get(key) == data
    await s3_store.delete(key)
    await s3_store.delete(key)
    with pytest.raises(FileNotFoundError):
        await s3_store.get(key)
    await s3_store.ensure_bucket()  # an existing bucket is fine


async def test_s3_down_during_upload_is_unavailable_and_records_nothing(
    own_s3: SeaweedNode, fresh_database: str, kafka_bootstrap: str
) -> None:
    store = store_for(own_s3, "materials")
    await store.ensure_bucket()
    async with start_intake(fresh_database, kafka_bootstrap, store) as intake:
        case_id = (await intake.stub.CreateApplication(create_request())).application.case_id
        await asyncio.to_thread(own_s3.stop)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await intake.stub.UploadMaterial(iter(upload_chunks(case_id, "id_card", JPEG)))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        parsed = parse_rpc_error(caught.value)
        assert "材料存储" in parsed.message_zh and "file store is unavailable" in parsed.message_en
        assert await intake.pool.fetchval("SELECT count(*) FROM materials") == 0
        assert (
            await intake.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE type = 'tongban.events.v1.MaterialUploaded'"
            )
            == 0
        )

        await asyncio.to_thread(own_s3.start)  # back again: the client's retry goes through
        reply = await intake.stub.UploadMaterial(iter(upload_chunks(case_id, "id_card", JPEG)))
        assert await store.get(f"{case_id}/{reply.material.sha256}") == JPEG
        assert await intake.pool.fetchval("SELECT count(*) FROM materials") == 1
    await store.close()


async def test_a_missing_bucket_is_made_on_the_first_upload(s3_node: SeaweedNode) -> None:
    # intake started while the store was down: the bucket was not made at start-up
    store = store_for(s3_node, f"late-{uuid.uuid4().hex[:12]}")
    try:
        with pytest.raises(FileNotFoundError):
            await store.get("case/late")  # NoSuchBucket: nothing there
        await store.put("case/late", b"%PDF-1.7 late")
        assert await store.get("case/late") == b"%PDF-1.7 late"
    finally:
        await store.close()
