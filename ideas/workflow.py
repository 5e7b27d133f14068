"""Admins define the statuses ideas move through (the list and its rules: ideas/status_list.py):
add one, change its labels, colour, symbol, roadmap flag or category (not of one in use), order
them, archive one (no longer offered; ideas keep it) or remove one nothing ever used."""
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from . import audit
from .errors import InvalidInput, NotAllowed
from .events import StatusesChanged
from .events.publish import publish
from .extensions import db
from .models import Idea, TimelineEntry
from .site_settings import get_setting, set_setting
from .status_list import (
    CATEGORIES, COLOURS, DEFAULTS, KEY, LABEL_MAX, LANGUAGES, MERGED, SYMBOL_MAX, Status, status_of, statuses,
)


def in_use(key: str) -> bool:
    """True when an idea is in status `key` or a timeline entry names it."""
    idea = select(Idea.id).where(Idea.status == key).limit(1)
    entry = select(TimelineEntry.id).where(or_(TimelineEntry.from_status == key,
                                               TimelineEntry.to_status == key)).limit(1)
    return (db.session.execute(idea).first() or db.session.execute(entry).first()) is not None


def create_status(actor: Any, fields: Mapping[str, Any]) -> Status:
    """Add a status at the end of the list (admins only)."""
    audit.require_admin(actor)
    key = str(fields.get("key") or "").strip().lower()
    problems: dict[str, str] = {}
    if not KEY.fullmatch(key):
        problems["key"] = _("Use a lower-case letter, then letters, digits or underscores: at most 20.")
    elif key == MERGED or status_of(key) is not None:
        problems["key"] = _("Another status has this key.")
    status = _checked(Status(key, "open"), fields, problems)
    _store(actor, [*statuses(), status])
    return status


def update_status(actor: Any, key: str, fields: Mapping[str, Any]) -> bool:
    """Change a status's labels, colour, symbol, roadmap flag or category (admins only); its key
    never changes, and the category of a status in use stays (it would close voting or change what
    followers were told). False when nothing changed."""
    audit.require_admin(actor)
    current = _existing(key)
    status = _checked(current, fields, {})
    if status == current:
        return False
    _store(actor, [status if each.key == key else each for each in statuses()])
    return True


def archive_status(actor: Any, key: str, archived: bool = True) -> None:
    """No longer offer a status (or offer it again): ideas in it keep it (admins only)."""
    audit.require_admin(actor)
    current = _existing(key)
    if archived and current.key == "open":
        raise NotAllowed(_("New ideas start as “%(status)s”: it cannot be archived.", status=current.label))
    if current.archived != archived:
        _store(actor, [replace(each, archived=archived) if each.key == key else each for each in statuses()])


def delete_status(actor: Any, key: str) -> None:
    """Remove a status no idea and no timeline entry ever used (admins only); archive the others."""
    audit.require_admin(actor)
    current = _existing(key)
    if current.key == "open" or in_use(key):
        raise NotAllowed(_("“%(status)s” is or was used: archive it instead.", status=current.label))
    _store(actor, [each for each in statuses() if each.key != key])


def move_status(actor: Any, key: str, offset: int) -> None:
    """Move a status up (-1) or down (+1) the list (admins only)."""
    audit.require_admin(actor)
    listed = list(statuses())
    at = next(index for index, each in enumerate(listed) if each.key == _existing(key).key)
    to = min(max(at + offset, 0), len(listed) - 1)
    listed.insert(to, listed.pop(at))
    _store(actor, listed)


def _existing(key: str) -> Status:
    status = status_of(key)
    if status is None or status.key == MERGED:
        raise InvalidInput(_("No such status."), {"key": _("Choose a status from the list.")})
    return status


def _checked(status: Status, fields: Mapping[str, Any], problems: dict[str, str]) -> Status:
    """`status` with the fields' values (labels_<language>, colour, symbol, category,
    on_roadmap), or InvalidInput naming each wrong field (with `problems` found before)."""
    labels = {}
    for language in LANGUAGES:
        text = " ".join(str(fields.get(f"label_{language}") or "").split())
        if len(text) > LABEL_MAX or "\x00" in text:
            problems[f"label_{language}"] = _("Keep the label to %(limit)s characters.", limit=LABEL_MAX)
        elif text:
            labels[language] = text
    if not labels.get("en") and not status.built_in:
        problems["label_en"] = _("Give the status an English label.")
    colour = str(fields.get("colour") or "")
    if colour not in COLOURS:
        problems["colour"] = _("Choose a colour from the list.")
    symbol = str(fields.get("symbol") or "").strip()
    if len(symbol) > SYMBOL_MAX or "\x00" in symbol or "<" in symbol:
        problems["symbol"] = _("Use at most %(limit)s characters, such as ★ or ⚑.", limit=SYMBOL_MAX)
    category = fields.get("category") or status.category
    if category not in CATEGORIES:
        problems["category"] = _("Choose a category from the list.")
    elif category != status.category and in_use(status.key):
        problems["category"] = _("Ideas are or were in this status: its category stays, as changing it "
                                 "would close or reopen their voting.")
    elif status.key == "open" and category != "open":
        problems["category"] = _("New ideas start in this status: it stays open.")
    if problems:
        raise InvalidInput(_("Please correct the fields marked below."), problems)
    return replace(status, labels=labels, colour=colour, symbol=symbol, category=category,
                   on_roadmap=bool(fields.get("on_roadmap")))


def _store(actor: Any, listed: Sequence[Status]) -> None:
    before = [status.key for status in statuses()]
    rows = [{**asdict(status), "labels": dict(status.labels)} for status in listed]
    stored = json.dumps(rows, ensure_ascii=False)
    previous = get_setting("statuses")
    set_setting("statuses", stored)
    publish(StatusesChanged(actor, {"statuses": previous or json.dumps([asdict(s) for s in DEFAULTS])},
                            {"statuses": stored, "order": before != [status.key for status in listed]}))
