"""Password hashing with scrypt (memory-hard, standard library) at the cost OWASP's password
storage guidance names: n=2**17, r=8, p=1, i.e. 128 MiB and a few hundred milliseconds per
guess, with a random salt per password.

Stored form: `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`, so an older, cheaper hash still
verifies; `needs_rehash` tells the sign-in to replace it while it has the clear password.
At most `CONCURRENT` hashes run at once (each holds 128 MiB), on threads, so a burst of
sign-ins queues instead of exhausting memory or blocking the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import weakref

N, R, P = 2**17, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MAXMEM = 256 * 1024 * 1024
MIN_LENGTH = 10
CONCURRENT = 2

# one per event loop: a semaphore is bound to the loop it first waited on
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    salt = os.urandom(SALT_BYTES)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=KEY_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant time in the comparison; False for any malformed stored value."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True for a hash made with less than today's cost (or not by scrypt at all)."""
    try:
        scheme, n, r, _, _, _ = stored.split("$")
        return scheme != "scrypt" or int(n) < N or int(r) < R
    except ValueError:
        return True


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    found = _slots.get(loop)
    if found is None:
        found = _slots[loop] = asyncio.Semaphore(CONCURRENT)
    return found


async def hash_password_async(password: str) -> str:
    async with _semaphore():
        return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, stored: str) -> bool:
    async with _semaphore():
        return await asyncio.to_thread(verify_password, password, stored)


# Verified against when the username is unknown, so a miss costs the same time as a hit.
DUMMY_HASH = hash_password(base64.b64encode(os.urandom(12)).decode())


def weakness(password: str) -> tuple[str, str] | None:
    """Why a new password is refused (zh, en), or None."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符", f"a password has at least {MIN_LENGTH} characters"
    if len(set(password)) < 4:
        return "密码过于简单", "the password is too simple"
    return None
