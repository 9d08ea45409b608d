"""The first administrator of a new deployment, once:

    python -m gateway.bootstrap [--username admin] [--password-stdin]

Reads TONGBAN_DATABASE_URL (and the gateway's other settings) like the gateway, migrates
the account database, and creates an administrator only if there is none (two runs at
once make one). Without --password-stdin it makes a password and prints it, once, to
standard output; nothing is logged. At the first sign-in the administrator chooses a
password of their own and enrols a second factor; everything after that (accounts, kiosk
keys) is done in the admin console or API. Exit status 0 when created, 1 when an
administrator exists already, 2 for bad settings or input.

In Kubernetes: `kubectl -n tongban exec deploy/gateway -- python -m gateway.bootstrap`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import sys

from gateway import passwords
from gateway.accounts import Store
from gateway.config import GatewaySettings
from services.shared.settings import load_or_exit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


async def bootstrap(database_url: str, username: str, password: str) -> bool:
    store = await Store.open(database_url, size=1)
    try:
        created = await store.create_first_admin(username, password)
        if created is not None:
            await store.audit("bootstrap", "account_created", detail=f"{username} admin")
        return created is not None
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("--username", default="admin", help="the administrator's username (default admin)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of making one",
    )
    args = parser.parse_args(argv)
    settings = load_or_exit(GatewaySettings)
    if not USERNAME.match(args.username):
        print(
            "tongban: a username is 3-64 of a-z 0-9 . _ -, starting with a letter or digit", file=sys.stderr
        )
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        weak = passwords.weakness(password)
        if weak:
            print(f"tongban: {weak[1]}", file=sys.stderr)
            return 2
    else:
        password = "tb-" + secrets.token_urlsafe(15)
    if not asyncio.run(bootstrap(settings.database_url, args.username, password)):
        print("tongban: an administrator exists already; nothing was changed", file=sys.stderr)
        return 1
    print(f"administrator {args.username} created")
    if not args.password_stdin:
        print(f"temporary password (shown once): {password}")
    print("at the first sign-in: enrol a second factor (TOTP), then choose a new password")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
