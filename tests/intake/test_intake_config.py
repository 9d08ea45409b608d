"""Intake's settings: which blob store, and every S3 problem reported at once."""

from __future__ import annotations

import pytest

from services.intake.__main__ import blob_store
from services.intake.blobs import LocalBlobStore
from services.intake.config import IntakeSettings
from services.intake.s3store import S3BlobStore
from services.shared.settings import SettingsError, load

BASE = {
    "TONGBAN_DATABASE_URL": "postgresql://tongban@127.0.0.1:5433/intake",
    "TONGBAN_PII_KEYS": "k1:AAAA",
    "TONGBAN_PSEUDONYM_SECRET": "c2VjcmV0",
}
S3 = {
    "TONGBAN_BLOB_STORE": "s3",
    "TONGBAN_S3_ENDPOINT": "http://127.0.0.1:8333",
    "TONGBAN_S3_ACCESS_KEY": "intake",
    "TONGBAN_S3_SECRET_KEY": "very-secret-key",
}


def test_a_local_folder_by_default(tmp_path: object) -> None:
    settings = load(IntakeSettings, {**BASE, "TONGBAN_BLOB_DIR": str(tmp_path)})
    assert settings.blob_store == "local"
    assert isinstance(blob_store(settings), LocalBlobStore)


async def test_s3_when_configured() -> None:
    settings = load(
        IntakeSettings, {**BASE, **S3, "TONGBAN_S3_BUCKET": "hall-files", "TONGBAN_S3_REGION": "cn-east-1"}
    )
    store = blob_store(settings)
    assert isinstance(store, S3BlobStore)
    assert store.bucket == "hall-files"
    assert store.credentials.region == "cn-east-1"
    assert store.credentials.secret_key == "very-secret-key"
    await store.close()


def test_s3_needs_its_endpoint_and_keys_all_named_in_one_message() -> None:
    with pytest.raises(SettingsError) as failed:
        load(IntakeSettings, {**BASE, "TONGBAN_BLOB_STORE": "s3", "TONGBAN_PII_KEYS": "nokid"})
    problems = "\n".join(failed.value.problems)
    assert len(failed.value.problems) == 4
    for name in ("TONGBAN_PII_KEYS", "TONGBAN_S3_ENDPOINT", "TONGBAN_S3_ACCESS_KEY", "TONGBAN_S3_SECRET_KEY"):
        assert name in problems


def test_s3_keys_are_not_needed_for_the_local_store() -> None:
    assert load(IntakeSettings, {**BASE, "TONGBAN_S3_ENDPOINT": ""}).blob_store == "local"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TONGBAN_BLOB_STORE", "ftp", "expected local or s3"),
        ("TONGBAN_S3_ENDPOINT", "127.0.0.1:8333", "http(s)://host:port"),
        ("TONGBAN_S3_ENDPOINT", "http://127.0.0.1:8333/bucket", "without a path"),
        ("TONGBAN_S3_BUCKET", "Hall_Files", "lowercase"),
        ("TONGBAN_S3_BUCKET", "ab", "3-63"),
        ("TONGBAN_S3_BUCKET", "a..b", "3-63"),
    ],
)
def test_bad_values_are_refused(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as failed:
        load(IntakeSettings, {**BASE, **S3, name: value})
    assert len(failed.value.problems) == 1
    assert failed.value.problems[0].startswith(name) and expected in failed.value.problems[0]


def test_secrets_stay_out_of_repr() -> None:
    settings = load(IntakeSettings, {**BASE, **S3})
    shown = repr(settings)
    assert "very-secret-key" not in shown and "c2VjcmV0" not in shown and "AAAA" not in shown
    assert "s3_access_key='intake'" in shown
