"""The images' HEALTHCHECK: `healthcheck.py grpc` asks the service's grpc.health.v1 on the
port of TONGBAN_GRPC_LISTEN; `healthcheck.py http` asks the gateway's /healthz on the port of
TONGBAN_HTTP_LISTEN. Always on 127.0.0.1: the check runs inside the container, whatever
address the process binds. Exit 0 when healthy, 1 otherwise (Docker's contract)."""

from __future__ import annotations

import asyncio
import os
import sys
import urllib.request

TIMEOUT_S = 3.0


def port_of(variable: str, default: str) -> str:
    return os.environ.get(variable, default).rsplit(":", 1)[1]


def grpc_ok() -> bool:
    from services.shared.grpcserver import check_health

    target = "127.0.0.1:" + port_of("TONGBAN_GRPC_LISTEN", "127.0.0.1:7051")
    return asyncio.run(check_health(target, timeout=TIMEOUT_S))


def http_ok() -> bool:
    url = f"http://127.0.0.1:{port_of('TONGBAN_HTTP_LISTEN', '127.0.0.1:8080')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as reply:
            return bool(reply.status == 200)
    except OSError:  # refused, timed out, or 503 (HTTPError is an OSError)
        return False


def main(argv: list[str]) -> int:
    checks = {"grpc": grpc_ok, "http": http_ok}
    if len(argv) != 2 or argv[1] not in checks:
        print("usage: healthcheck.py grpc|http", file=sys.stderr)
        return 2
    return 0 if checks[argv[1]]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
