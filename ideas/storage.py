"""Where uploaded files' bytes live: one small interface, and the one place that chooses the store.

Today that is the database (StoredFile rows), as for the logo (ideas/branding.py): the app's
machines share nothing else, and backups take the files along. An S3-compatible store could
implement `FileStorage` later and be returned by `file_storage()`; nothing else would change.
Writes join the caller's transaction, so a refused post leaves no file behind.
"""
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import delete, select

from .extensions import db
from .models import StoredFile


class FileStorage(Protocol):
    """A store of files by key: what ideas/attachments.py needs of one."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Keep `data` under `key` (a new key: files are never overwritten)."""

    def get(self, key: str) -> tuple[bytes, str] | None:
        """The bytes and content type under `key`, or None."""

    def delete(self, keys: Iterable[str]) -> None:
        """Forget the files under `keys` (missing ones are no error)."""


class DatabaseStorage:
    """Files as rows of the stored_files table, in the session's transaction."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        db.session.add(StoredFile(key=key, data=data, content_type=content_type))

    def get(self, key: str) -> tuple[bytes, str] | None:
        # Columns, not the object: a served image's bytes need not stay in the identity map.
        row = db.session.execute(
            select(StoredFile.data, StoredFile.content_type).where(StoredFile.key == key)).first()
        return (row.data, row.content_type) if row is not None else None

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            db.session.execute(delete(StoredFile).where(StoredFile.key.in_(keys)),
                               execution_options={"synchronize_session": False})


def file_storage() -> FileStorage:
    """The store in use: the database (the one place to choose another)."""
    return DatabaseStorage()
