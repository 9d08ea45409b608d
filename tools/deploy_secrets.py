"""Fresh secrets for a deployment, made on the operator's machine and never committed.

    python -m tools.deploy_secrets            # write .env for docker compose (kept if present)
    python -m tools.deploy_secrets --stdout   # print them, e.g. into a Kubernetes Secret:
        kubectl -n tongban create secret generic tongban-secrets \\
            --from-env-file=<(python -m tools.deploy_secrets --stdout)

Docker Compose reads .env beside docker-compose.yml by itself; .env is git-ignored. An
existing .env is never overwritten: data encrypted under its PII key must stay readable.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = REPO_ROOT / ".env"

# every secret a deployment passes to the services (and the TURN server), by setting name
NAMES = ("TONGBAN_PII_KEYS", "TONGBAN_PSEUDONYM_SECRET", "TONGBAN_CERTIFICATE_SECRET",
         "TONGBAN_JOIN_SECRET", "TONGBAN_SESSION_SECRET", "TONGBAN_ICE_CREDENTIAL")


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def generate() -> dict[str, str]:
    values = {name: _key() for name in NAMES}
    values["TONGBAN_PII_KEYS"] = f"k1:{_key()}"  # kid:key; rotate by putting a new kid first
    values["TONGBAN_ICE_CREDENTIAL"] = os.urandom(18).hex()  # TURN passwords: no '=' or '+'
    return values


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{name}={value}\n" for name, value in values.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", action="store_true", help="print instead of writing .env")
    args = parser.parse_args(argv)
    if args.stdout:
        sys.stdout.write(env_text(generate()))
        return 0
    if ENV_FILE.exists():
        print(f"{ENV_FILE} exists: kept (delete it only with the data it protects)")
        return 0
    ENV_FILE.touch(mode=0o600)
    ENV_FILE.write_text(env_text(generate()))
    print(f"wrote {ENV_FILE} (mode 600)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
