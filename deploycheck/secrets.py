"""Fresh secrets for a deployment, made on the operator's machine and never committed.

    python -m deploycheck.secrets            # write .env for docker compose (kept if present)
    python -m deploycheck.secrets --stdout   # print them, e.g. into a Kubernetes Secret:
        kubectl -n tongban create secret generic tongban-secrets \\
            --from-env-file=<(python -m deploycheck.secrets --stdout)

Docker Compose reads .env beside docker-compose.yml by itself; .env is git-ignored. An
existing .env keeps every value it has (data encrypted under its PII key must stay
readable); only secrets that the code has started to read since are added to it.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path

from deploycheck.settings import generated_secrets

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = REPO_ROOT / ".env"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def value_for(name: str) -> str:
    """A fresh value in the form the setting's suffix implies."""
    if name.endswith("_KEYS"):
        return f"k1:{_key()}"  # kid:key; rotate by putting a new kid first
    if name == "TONGBAN_TURN_SECRET":
        return os.urandom(24).hex()  # coturn's --static-auth-secret: plain characters only
    return _key()


def names() -> list[str]:
    """Every one-string secret the processes read, from their settings classes."""
    return generated_secrets()


def generate() -> dict[str, str]:
    return {name: value_for(name) for name in names()}


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{name}={value}\n" for name, value in values.items())


def read_env(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text("utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {name.strip(): value for name, value in pairs}


def write_env(path: Path) -> list[str]:
    """Creates `path` (mode 600) or adds the secrets it lacks; returns the names added."""
    existing = read_env(path) if path.exists() else {}
    missing = {name: value_for(name) for name in names() if name not in existing}
    if not path.exists():
        path.touch(mode=0o600)
    if missing:
        with path.open("a", encoding="utf-8") as out:
            out.write(env_text(missing))
    return list(missing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", action="store_true", help="print instead of writing .env")
    args = parser.parse_args(argv)
    if args.stdout:
        sys.stdout.write(env_text(generate()))
        return 0
    existed = ENV_FILE.exists()
    added = write_env(ENV_FILE)
    verb = "kept, added" if existed else "wrote (mode 600)"
    print(f"{ENV_FILE}: {verb} {', '.join(added) or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
