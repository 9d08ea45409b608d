"""The signer against the worked examples of the SigV4 documentation for S3 (examplebucket,
the documentation's example keys, 24 May 2013): any slip in canonical form, scope or the
HMAC chain changes the signature."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from services.intake import sigv4

EXAMPLE = sigv4.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2013, 5, 24, tzinfo=UTC)
HOST = "examplebucket.s3.amazonaws.com"


def test_get_object_canonical_request_string_to_sign_and_signature() -> None:
    headers = {
        "Host": HOST,
        "Range": "bytes=0-9",
        "x-amz-date": "20130524T000000Z",
        "x-amz-content-sha256": sigv4.EMPTY_SHA256,
    }
    canonical, signed = sigv4.canonical_request("GET", "/test.txt", {}, headers, sigv4.EMPTY_SHA256)
    assert canonical == (
        "GET\n/test.txt\n\n"
        "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        f"x-amz-content-sha256:{sigv4.EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\n"
        f"host;range;x-amz-content-sha256;x-amz-date\n{sigv4.EMPTY_SHA256}"
    )
    assert signed == "host;range;x-amz-content-sha256;x-amz-date"
    to_sign = sigv4.string_to_sign(canonical, EXAMPLE, WHEN)
    assert to_sign == (
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    )
    assert sigv4.signature(to_sign, EXAMPLE, WHEN) == (
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_sign_builds_the_authorization_header() -> None:
    headers = sigv4.sign(EXAMPLE, "GET", HOST, "/test.txt", headers={"range": "bytes=0-9"}, when=WHEN)
    assert headers["x-amz-date"] == "20130524T000000Z"
    assert headers["x-amz-content-sha256"] == sigv4.EMPTY_SHA256
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_put_object_signs_the_payload_hash_and_encodes_the_path() -> None:
    body = b"Welcome to Amazon S3."
    digest = hashlib.sha256(body).hexdigest()
    assert digest == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    headers = sigv4.sign(
        EXAMPLE,
        "PUT",
        HOST,
        "/test$file.text",
        payload_sha256=digest,
        headers={"date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
        when=WHEN,
    )
    canonical, _ = sigv4.canonical_request("PUT", "/test$file.text", {}, headers, digest)
    assert canonical.splitlines()[1] == "/test%24file.text"
    assert headers["authorization"].endswith(
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    )


def test_query_parameters_are_sorted_and_encoded() -> None:
    assert sigv4.canonical_query({"prefix": "J", "max-keys": "2"}) == "max-keys=2&prefix=J"
    assert sigv4.canonical_query({"lifecycle": ""}) == "lifecycle="
    assert sigv4.canonical_query({"k": "a b/c+d"}) == "k=a%20b%2Fc%2Bd"
    headers = sigv4.sign(EXAMPLE, "GET", HOST, "/", {"max-keys": "2", "prefix": "J"}, when=WHEN)
    assert headers["authorization"].endswith(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )


def test_header_values_are_trimmed_and_names_folded() -> None:
    canonical, signed = sigv4.canonical_request(
        "get", "/a", {}, {"X-Amz-Meta-Note": "  two   spaces ", "HOST": "h"}, sigv4.EMPTY_SHA256
    )
    assert "host:h\nx-amz-meta-note:two spaces\n" in canonical
    assert canonical.startswith("GET\n") and signed == "host;x-amz-meta-note"


def test_a_different_secret_or_day_gives_a_different_signature() -> None:
    base = sigv4.sign(EXAMPLE, "GET", HOST, "/test.txt", when=WHEN)["authorization"]
    other_key = sigv4.Credentials(EXAMPLE.access_key, EXAMPLE.secret_key + "x")
    assert sigv4.sign(other_key, "GET", HOST, "/test.txt", when=WHEN)["authorization"] != base
    next_day = datetime(2013, 5, 25, tzinfo=UTC)
    assert (
        "20130525/us-east-1" in sigv4.sign(EXAMPLE, "GET", HOST, "/test.txt", when=next_day)["authorization"]
    )


def test_the_secret_stays_out_of_repr() -> None:
    assert EXAMPLE.secret_key not in repr(EXAMPLE)
