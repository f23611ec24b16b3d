"""Password hashes (argon2id): the password itself is never stored or logged."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_HASHER = PasswordHasher()
# Verified when the account does not exist, so a wrong username takes as long as a wrong
# password and the timing does not tell which usernames exist.
_DUMMY = _HASHER.hash("not a password of anyone")


class WeakPassword(ValueError):
    """A password too short to protect personal data."""


def hash_password(password: str) -> str:
    """The argon2id hash to store; WeakPassword when it is too short."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a missing account verifies against a dummy hash."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
