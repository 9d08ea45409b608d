"""TURN REST credentials: the username carries the expiry, the credential is the HMAC that
TURN recomputes."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from services.shared import turn


def test_a_credential_is_the_hmac_of_its_expiring_username() -> None:
    found = turn.credential("s3cret", "sh-official-1", ttl_s=600, now=1_000_000)
    assert found.username == "1000600:sh-official-1" and found.expires == 1_000_600
    expected = hmac.new(b"s3cret", b"1000600:sh-official-1", hashlib.sha1).digest()
    assert base64.b64decode(found.credential) == expected
    other = turn.credential("another", "sh-official-1", ttl_s=600, now=1_000_000)
    assert other.credential != found.credential


def test_names_are_kept_plain_and_a_secret_is_required() -> None:
    assert turn.credential("s", "a:b c", now=0, ttl_s=1).username == "1:a_b_c"
    assert turn.credential("s", "", now=0, ttl_s=1).username == "1:anonymous"
    with pytest.raises(ValueError):
        turn.credential("", "x")


def test_browsers_get_credentials_for_turn_urls_only() -> None:
    urls = ["stun:stun.local:3478", "turn:turn.local:3478?transport=udp", "turns:turn.local:443"]
    servers = turn.ice_servers(urls, "s", "kiosk", ttl_s=60)
    assert servers[0] == {"urls": urls[0]}
    assert servers[1]["username"] == servers[2]["username"]
    assert servers[1]["username"].endswith(":kiosk") and servers[1]["credential"]
    assert turn.ice_servers(urls, "", "kiosk") == [{"urls": url} for url in urls]
