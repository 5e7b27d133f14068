"""argon2id password hashing with parameters from configuration."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    hasher = current_app.extensions.get("ideas.password_hasher")
    if hasher is None:
        config = current_app.config
        hasher = PasswordHasher(
            time_cost=config["ARGON2_TIME_COST"],
            memory_cost=config["ARGON2_MEMORY_COST"],
            parallelism=config["ARGON2_PARALLELISM"],
        )
        current_app.extensions["ideas.password_hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing or broken hash never matches."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)
