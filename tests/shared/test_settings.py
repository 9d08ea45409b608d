from dataclasses import dataclass

import pytest

from services.shared import settings
from services.shared.settings import SettingsError, setting


@dataclass(frozen=True, kw_only=True)
class Example(settings.CommonSettings):
    database_url: str = setting("PostgreSQL URL", check=settings.postgres_url)
    timeout_s: float = setting("reservation timeout", 30.0, settings.positive)
    debug: bool = setting("debug", False)
    names: list[str] = setting("names", ["a"])


def test_defaults_and_conversion() -> None:
    loaded = settings.load(
        Example,
        {
            "TONGBAN_DATABASE_URL": "postgresql://u@127.0.0.1:5433/intake",
            "TONGBAN_TIMEOUT_S": "2.5",
            "TONGBAN_DEBUG": "yes",
            "TONGBAN_NAMES": "x, y",
        },
    )
    assert loaded.timeout_s == 2.5 and loaded.debug and loaded.names == ["x", "y"]
    assert loaded.kafka_bootstrap == "127.0.0.1:9092"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        settings.load(
            Example,
            {"TONGBAN_TIMEOUT_S": "-1", "TONGBAN_KAFKA_BOOTSTRAP": "nohost", "TONGBAN_DEBUG": "maybe"},
        )
    text = str(caught.value)
    assert "TONGBAN_DATABASE_URL: missing (PostgreSQL URL)" in text
    assert "TONGBAN_TIMEOUT_S=-1.0: must be greater than zero" in text
    assert "TONGBAN_KAFKA_BOOTSTRAP='nohost': expected host:port" in text
    assert "TONGBAN_DEBUG='maybe': expected true or false" in text
    assert len(caught.value.problems) == 4


def test_describe_lists_environment_names() -> None:
    assert "TONGBAN_DATABASE_URL" in settings.describe(Example)
