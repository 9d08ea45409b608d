"""The store's clean-up after a failed upload, against the real PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from services.intake.store import IntakeStore
from services.shared import topics
from tests.intake.intake_support import JPEG, PDF, RunningIntake, upload_chunks
from tests.intake.test_intake_service import create_request


async def test_release_blob_keeps_a_named_file_and_deletes_an_unnamed_one(
    intake: RunningIntake,
) -> None:
    store = IntakeStore(intake.pool, topics.load())
    case_id = (await intake.stub.CreateApplication(create_request())).application.case_id
    await intake.stub.UploadMaterial(iter(upload_chunks(case_id, "id_card", JPEG)))
    named = f"{case_id}/{hashlib.sha256(JPEG).hexdigest()}"
    assert not await store.release_blob(case_id, named, intake.blobs.delete)
    assert await intake.blobs.get(named) == JPEG  # a material of the case still names it

    unnamed = f"{case_id}/{hashlib.sha256(PDF).hexdigest()}"  # as if its row failed to commit
    await intake.blobs.put(unnamed, PDF)
    assert await store.release_blob(case_id, unnamed, intake.blobs.delete)
    with pytest.raises(FileNotFoundError):
        await intake.blobs.get(unnamed)
