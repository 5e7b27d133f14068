"""Members' @handles: what mentions call them. Nothing here knows about HTTP.

A handle is 2 to 30 lower case letters, digits or "_", unique, and no word that would read as a
group ("@all", "@staff"). A member chooses one at sign-up or later; anyone without one gets one
derived from their name: on insert through the ORM (the `before_flush` listener below, so sign-up,
SSO, staff-made accounts and tests all get one), and through `fill_missing_handles` after rows
inserted in bulk. The derivation is the one migration 0026 used for the members it backfilled.
"""
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from .errors import InvalidInput
from .extensions import db
from .models import User
from .models.user import HANDLE_MAX

HANDLE_MIN = 2
STEM_MAX = 24  # room for a number after it
HANDLE_SHAPE = re.compile(rf"[a-z0-9_]{{{HANDLE_MIN},{HANDLE_MAX}}}")
# Words a mention would read as a group, or as the site speaking: nobody may take them.
RESERVED = frozenset({
    "admin", "admins", "administrator", "all", "channel", "everybody", "everyone", "here", "ideas",
    "moderator", "moderators", "mods", "nobody", "root", "someone", "staff", "support", "system", "team",
})
# Below this many accounts without a handle, each stem's takers are read by prefix (a vote staff
# record for one customer); above it, every taken handle once (an import of thousands).
_READ_ALL_FROM = 50


def normalise_handle(value: str | None) -> str:
    """`value` as a handle is stored: without spaces around it or a leading "@", lower case."""
    return (value or "").strip().removeprefix("@").lower()


def is_handle_shaped(value: str) -> bool:
    """True when `value` (normalised) is 2 to 30 letters, digits or "_", with a letter or digit."""
    return bool(HANDLE_SHAPE.fullmatch(value)) and value.strip("_") != ""


def handle_stem(name: str) -> str:
    """The handle a name gives before any number is added: NFKD to ASCII, lower case, runs of
    anything else as one "_", at most 24 characters, "member" when under 2 are left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")[:STEM_MAX].strip("_")
    return stem if len(stem) >= HANDLE_MIN else "member"


def _first_free(stem: str, taken: set[str]) -> str:
    """`stem`, or `stem` with the lowest number from 2 up that no one has taken."""
    handle, number = stem, 1
    while handle in taken or handle in RESERVED:
        number += 1
        handle = f"{stem}{number}"
    return handle


def _taken_like(stem: str, session: Session | None = None) -> set[str]:
    """The handles in use that begin with `stem` (the only ones it could collide with)."""
    session = session or db.session()
    with session.no_autoflush:
        return {handle for handle in session.execute(
            select(User.handle).where(User.handle.startswith(stem, autoescape=True))).scalars() if handle}


def derive_handle(name: str, also_taken: Iterable[str] = (), session: Session | None = None) -> str:
    """A free handle derived from `name` (see `handle_stem`), a number added when it is taken in
    the database or among `also_taken` (handles chosen but not yet written)."""
    stem = handle_stem(name or "")
    return _first_free(stem, _taken_like(stem, session) | set(also_taken))


def check_handle(value: str | None, member: User | None = None) -> str:
    """`value` as a valid, free handle (normalised), or InvalidInput naming the problem; `member`
    may keep the handle they have."""
    handle = normalise_handle(value)
    if not is_handle_shaped(handle):
        message = _("Handles are 2 to 30 letters, digits or _.")
        raise InvalidInput(message, {"handle": message})
    if handle in RESERVED:
        message = _("That handle is reserved. Choose another.")
        raise InvalidInput(message, {"handle": message})
    with db.session.no_autoflush:
        holder = db.session.execute(select(User.id).where(User.handle == handle)).scalar_one_or_none()
    if holder is not None and (member is None or holder != member.id):
        message = _("That handle is taken.")
        raise InvalidInput(message, {"handle": message})
    return handle


def change_handle(member: User, value: str | None) -> None:
    """Set the member's handle (mentions written before keep the old one as plain text)."""
    member.handle = check_handle(value, member)
    db.session.flush()


def fill_missing_handles() -> int:
    """Give every account without a handle one derived from its name, in one UPDATE of many
    rows: for accounts inserted in bulk, past the ORM's listener. Returns how many it named."""
    missing = db.session.execute(
        select(User.id, User.name).where(User.handle.is_(None)).order_by(User.id)).all()
    if not missing:
        return 0
    if len(missing) >= _READ_ALL_FROM:
        taken = {handle for handle in db.session.execute(select(User.handle)).scalars() if handle}
    else:
        taken = set().union(*(_taken_like(handle_stem(name or "")) for _, name in missing))
    chosen = []
    for user_id, name in missing:
        handle = _first_free(handle_stem(name or ""), taken)
        taken.add(handle)
        chosen.append({"user_id": user_id, "new_handle": handle})
    # On the connection: the ORM would read a list of rows as an update by primary key, WHERE refused.
    db.session.connection().execute(update(User).where(User.id == bindparam("user_id"))
                                    .values(handle=bindparam("new_handle")), chosen)
    return len(chosen)


def _name_new_members(session: Session, flush_context: Any, instances: Any) -> None:
    """Before a flush: each new User without a handle gets one derived from its name, apart from
    the others named in the same flush."""
    new_members = [instance for instance in session.new if isinstance(instance, User)]
    named = {member.handle for member in new_members if member.handle is not None}
    for member in sorted(new_members, key=lambda member: member.id or 0):
        if member.handle is None:
            member.handle = derive_handle(member.name or "", named, session)
            named.add(member.handle)


# Every session: the app's, and any a script or the worker opens.
event.listen(Session, "before_flush", _name_new_members)
