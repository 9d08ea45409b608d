"""Runs the gateway: `python -m gateway` (settings from TONGBAN_* variables)."""

from __future__ import annotations

import asyncio

import uvicorn

from gateway.app import create_app
from gateway.config import GatewaySettings
from services.shared import logs
from services.shared.migrations import ensure_database
from services.shared.settings import load_or_exit, split_host_port


def main() -> None:
    config = load_or_exit(GatewaySettings)
    logs.configure("gateway", config.log_level)
    asyncio.run(ensure_database(config.database_url))
    host, port = split_host_port(config.http_listen)
    uvicorn.run(create_app(config), host=host, port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
