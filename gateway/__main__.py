"""Runs the gateway: `python -m gateway` (settings from TONGBAN_* variables).

The account database is created and migrated at start-up (retrying while PostgreSQL is
away); with TONGBAN_SEED_DEV_ACCOUNTS=true (and TONGBAN_ENVIRONMENT=dev) the missing
development accounts are added. A new deployment's first administrator comes from
`python -m gateway.bootstrap`.
"""

from __future__ import annotations

import uvicorn

from gateway.app import server_config
from gateway.config import GatewaySettings
from services.shared import logs
from services.shared.settings import load_or_exit, split_host_port


def main() -> None:
    config = load_or_exit(GatewaySettings)
    logs.configure("gateway", config.log_level)
    host, port = split_host_port(config.http_listen)
    uvicorn.Server(server_config(config, host, port)).run()


if __name__ == "__main__":
    main()
