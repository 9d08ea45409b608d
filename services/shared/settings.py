"""Settings from the environment, validated once at start-up.

A service declares a frozen dataclass whose fields carry `setting(...)` metadata; `load()`
reads `TONGBAN_<FIELD>` for each, converts it by the field's type and collects every problem
before failing, so an operator sees all missing or wrong values in one message. A class may
add `related_problems(values) -> list[str]` for rules between fields.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from services.shared import topics

PREFIX = "TONGBAN_"
T = TypeVar("T")


class SettingsError(Exception):
    """One or more settings are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))
        self.problems = problems


def setting(
    help: str,
    default: Any = dataclasses.MISSING,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """A field read from TONGBAN_<NAME>; `check` returns an error text or None."""
    meta = {"help": help, "check": check}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: default.copy(), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def env_name(field_name: str) -> str:
    return PREFIX + field_name.upper()


def _convert(raw: str, kind: Any) -> Any:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError("expected true or false")
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    if typing.get_origin(kind) is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def load(spec: type[T], env: Mapping[str, str] | None = None) -> T:
    """Builds `spec` from the environment or raises SettingsError naming every problem."""
    env = os.environ if env is None else env
    hints = typing.get_type_hints(spec)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in dataclasses.fields(spec):  # type: ignore[arg-type]
        name = env_name(field.name)
        kind = hints[field.name]
        if isinstance(kind, types.UnionType):  # "str | None" style: read as the first type
            kind = typing.get_args(kind)[0]
        help_text = field.metadata.get("help", "")
        if name in env:
            try:
                value = _convert(env[name], kind)
            except ValueError as exc:
                problems.append(f"{name}={env[name]!r}: {exc} ({help_text})")
                continue
        elif field.default is not dataclasses.MISSING:
            value = field.default
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
        else:
            problems.append(f"{name}: missing ({help_text})")
            continue
        check = field.metadata.get("check")
        error = check(value) if check else None
        if error:
            problems.append(f"{name}={value!r}: {error} ({help_text})")
            continue
        values[field.name] = value
    # Rules that tie settings together ("required when TONGBAN_X=y") see the values that
    # passed their own checks, so those problems are reported in the same message.
    related = getattr(spec, "related_problems", None)
    if related is not None:
        problems += related(values)
    if problems:
        raise SettingsError(problems)
    return spec(**values)


def describe(spec: type[Any]) -> dict[str, str]:
    """Every environment variable a settings class reads, with its help text."""
    return {env_name(f.name): f.metadata.get("help", "") for f in dataclasses.fields(spec)}


# ------------------------------------------------------------------ common checks


def host_port(value: str) -> str | None:
    """Checks "host:port" (several, comma separated, are allowed)."""
    for part in value.split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            return "expected host:port"
    return None


def postgres_url(value: str) -> str | None:
    if not value.startswith(("postgresql://", "postgres://")):
        return "expected postgresql://user@host:port/database"
    return None


def positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than zero"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommonSettings:
    """What every service reads; services extend it (also kw_only, so required fields may
    follow the defaulted ones)."""

    kafka_bootstrap: str = setting("Kafka bootstrap servers", "127.0.0.1:9092", host_port)
    grpc_listen: str = setting("gRPC listen address host:port", "127.0.0.1:7051", host_port)
    metrics_listen: str = setting("Prometheus /metrics listen address host:port", "127.0.0.1:9101", host_port)
    log_level: str = setting(
        "log level",
        "INFO",
        lambda v: None if v in {"DEBUG", "INFO", "WARNING", "ERROR"} else "DEBUG|INFO|WARNING|ERROR",
    )
    topics_file: str = setting("topic catalog (YAML)", "deploy/topics.yaml")
    topic_namespace: str = setting(
        "prefix of every topic and consumer group, so stacks can share a broker (empty: none)",
        "",
        topics.namespace_problem,
    )

    def catalog(self) -> topics.Catalog:
        """The topic catalog inside this process's namespace."""
        return topics.load(self.topics_file, self.topic_namespace)


def split_host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host, int(port)


def load_or_exit(spec: type[T]) -> T:
    """For `__main__`: a clear message and exit status 2 instead of a traceback."""
    try:
        return load(spec)
    except SettingsError as exc:
        import sys

        print(f"tongban: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
