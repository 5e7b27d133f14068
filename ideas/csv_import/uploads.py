"""Uploads waiting between the dry run and the confirmation, kept server-side under a random token."""
import json
import os
import re
import secrets
import time

from flask_babel import gettext

from ..errors import InvalidInput
from ..models import User

UPLOAD_MAX_AGE = 24 * 3600  # seconds an uploaded file waits for its confirmation
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def store_upload(directory: str, actor: User, data: bytes, filename: str) -> str:
    """Keep the uploaded bytes for the confirmation step; returns the token that names them."""
    os.makedirs(directory, exist_ok=True)
    _discard_stale(directory)
    token = secrets.token_urlsafe(24)
    with open(os.path.join(directory, f"{token}.csv"), "wb") as handle:
        handle.write(data)
    with open(os.path.join(directory, f"{token}.json"), "w", encoding="utf-8") as handle:
        json.dump({"actor_id": actor.id, "filename": filename, "stored_at": time.time()}, handle)
    return token


def load_upload(directory: str, actor: User, token: str | None) -> tuple[bytes, str]:
    """(bytes, filename) of the upload named by `token`, if `actor` uploaded it and it is fresh."""
    expired = InvalidInput(gettext("This upload has expired or was already imported. Upload the file again."),
                           {"file": gettext("Upload the file again.")})
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise expired
    try:
        with open(os.path.join(directory, f"{token}.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        with open(os.path.join(directory, f"{token}.csv"), "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        raise expired from None
    if meta.get("actor_id") != actor.id or time.time() - meta.get("stored_at", 0) > UPLOAD_MAX_AGE:
        raise expired
    return data, meta.get("filename", "")


def discard_upload(directory: str, token: str | None) -> None:
    """Remove a kept upload once imported."""
    if isinstance(token, str) and TOKEN_SHAPE.fullmatch(token):
        for suffix in (".csv", ".json"):
            try:
                os.remove(os.path.join(directory, token + suffix))
            except OSError:
                pass


def _discard_stale(directory: str) -> None:
    """Remove uploads nobody confirmed within UPLOAD_MAX_AGE."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass
