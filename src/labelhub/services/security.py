"""Password hashing (Argon2) and opaque tokens stored as SHA-256 digests."""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "lh_"  # noqa: S105 - a prefix, not a secret
# Password hashes and checks running at once in this process. Each costs ~0.1 s of CPU and 64 MB; without a bound a
# login flood runs dozens at once, and every other request waits for the CPU. Callers beyond it wait here; the login
# route waits on an async semaphore of the same size first, so its waiting requests hold no thread.
HASH_SLOTS = 2
_slots = threading.BoundedSemaphore(HASH_SLOTS)


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a wrong username costs as long as a wrong
    password. Made at the first login attempt, not at import (an Argon2 hash costs ~0.1 s)."""
    return _hasher.hash("labelhub-timing-equaliser")


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``."""
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; takes the same time when the hash is missing."""
    with _slots:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    """Return a fresh random token (256 bits) with a recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored.

    Tokens carry 256 random bits, so a fast hash is safe here; Argon2 is for low-entropy passwords.
    """
    return hashlib.sha256(token.encode()).hexdigest()
