"""The statuses an idea moves through, as admins define them (ideas/workflow.py changes them): a
key that never changes, a label per language, a colour, a symbol, an order, whether the roadmap
shows it, and one category from a fixed set that carries the rules (ideas/statuses.py): voting
closes in "done" and "closed", moving into "closed" needs a public reason, "done" is what a
changelog entry ships. "merged" stays a system status no admin defines.

The default set is the six statuses ideas always had, with the same keys, so a site that never
changes them reads exactly as before (their labels are the built-in, translated ones until an
admin writes their own). The list is kept as a site setting (`statuses`, JSON), which every request
reads anyway: asking for a status costs no query.
"""
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale, lazy_gettext as _l

from .events.registry import name_statuses_with
from .models import Idea
from .site_settings import get_setting

CATEGORIES = ("open", "under_review", "planned", "in_progress", "done", "closed")
CATEGORY_NAMES = {
    "open": _l("Open"), "under_review": _l("Under review"), "planned": _l("Planned"),
    "in_progress": _l("In progress"), "done": _l("Done"), "closed": _l("Closed"),
}
VOTING_CLOSED_CATEGORIES = ("done", "closed", "merged")
MERGED = "merged"  # the system status of an idea merged into another
COLOURS = ("", "grey", "blue", "purple", "teal", "indigo", "brown", "green", "orange", "red")
LANGUAGES = ("en", "de")
KEY = re.compile(r"[a-z][a-z0-9_]{0,19}")
LABEL_MAX = 40
SYMBOL_MAX = 4

# The built-in labels of the default statuses (translated), until an admin writes their own.
BUILT_IN_LABELS = {
    "open": _l("New"), "under_review": _l("Under review"), "planned": _l("Planned"),
    "in_progress": _l("In progress"), "shipped": _l("Shipped"), "declined": _l("Declined"),
    MERGED: _l("Merged"),
}


@dataclass(frozen=True)
class Status:
    """One status. `labels`: {language: label}, empty for a default status's built-in label;
    `colour` "" and `symbol` "" give the look of its category."""

    key: str
    category: str
    labels: Mapping[str, str] = field(default_factory=dict)
    colour: str = ""
    symbol: str = ""
    on_roadmap: bool = False
    archived: bool = False

    @property
    def label(self) -> str:
        """The label in the reader's language (else English, else the built-in one, else the key)."""
        language = str(get_locale() or "en")
        own = self.labels.get(language) or self.labels.get("en")
        if own:
            return own
        return str(BUILT_IN_LABELS[self.key]) if self.key in BUILT_IN_LABELS else self.key

    @property
    def built_in(self) -> bool:
        return self.key in BUILT_IN_LABELS


DEFAULTS = (
    Status("open", "open"),
    Status("under_review", "under_review", on_roadmap=True),
    Status("planned", "planned", on_roadmap=True),
    Status("in_progress", "in_progress", on_roadmap=True),
    Status("shipped", "done", on_roadmap=True),
    Status("declined", "closed"),
)
MERGED_STATUS = Status(MERGED, MERGED)


# Reading the list

def statuses() -> tuple[Status, ...]:
    """Every status admins defined (archived ones too), in their order; merged is not one."""
    stored = get_setting("statuses")
    if not stored:
        return DEFAULTS
    return _parsed(stored)


_PARSED: dict[str, tuple[Status, ...]] = {}


def _parsed(stored: str) -> tuple[Status, ...]:
    """The stored JSON as Statuses, parsed once per distinct text (a few per process)."""
    if stored not in _PARSED:
        if len(_PARSED) > 16:
            _PARSED.clear()
        _PARSED[stored] = tuple(Status(**{**row, "labels": dict(row.get("labels", {}))})
                                for row in json.loads(stored))
    return _PARSED[stored]


def status_of(key: str | None) -> Status | None:
    """The status called `key` (merged included), or None."""
    if key == MERGED:
        return MERGED_STATUS
    return next((status for status in statuses() if status.key == key), None)


def label(key: str | None) -> str:
    """What the reader calls the status `key` ("?" for no status known by that key)."""
    status = status_of(key)
    return status.label if status is not None else "?"


def category_of(key: str | None) -> str | None:
    status = status_of(key)
    return status.category if status is not None else None


def voting_closes(key: str | None) -> bool:
    """True when an idea in status `key` takes no more votes (done, closed, merged)."""
    return category_of(key) in VOTING_CLOSED_CATEGORIES


def keys(archived: bool = True) -> list[str]:
    """Every status's key in order (archived ones unless told), merged not among them."""
    return [status.key for status in statuses() if archived or not status.archived]


def settable() -> list[str]:
    """The statuses staff may move an idea to: not archived, not merged."""
    return keys(archived=False)


def roadmap_keys() -> tuple[str, ...]:
    """The roadmap's columns, in order: the statuses shown on it (not archived)."""
    return tuple(status.key for status in statuses() if status.on_roadmap and not status.archived)


def first_of(category: str) -> str | None:
    """The first status of `category` not archived (what shipping in a changelog entry moves to)."""
    return next((status.key for status in statuses() if status.category == category and not status.archived),
                None)


def look(key: str | None) -> tuple[str, str]:
    """(CSS classes, symbol) of a status badge: a default status untouched keeps its own look."""
    status = status_of(key) or Status(str(key), "open")
    classes = [f"status-{status.key}"] if status.built_in else [f"status-cat-{status.category}"]
    if status.symbol:
        classes.append("status-own-symbol")
    if status.colour:
        classes.append(f"status-colour-{status.colour}")
    return " ".join(classes), status.symbol


class StatusNames(Mapping[str, str]):
    """{key: label in the reader's language} of every status and merged, read afresh on each use:
    what pages, emails and summaries call a status (i18n.STATUS_NAMES)."""

    def __getitem__(self, key: str) -> str:
        status = status_of(key)
        if status is None:
            raise KeyError(key)
        return status.label

    def __iter__(self) -> Iterator[str]:
        return iter([*keys(), MERGED])

    def __len__(self) -> int:
        return len(statuses()) + 1


class StatusKeys(Sequence[str]):
    """The keys of the statuses, read afresh on each use: `settable` (staff may choose them),
    `listed` (lists filter by them: every one but merged), or all (merged too)."""

    def __init__(self, which: str = "all") -> None:
        self.which = which

    def _keys(self) -> list[str]:
        if self.which == "settable":
            return settable()
        return keys() if self.which == "listed" else [*keys(), MERGED]

    def __getitem__(self, index: Any) -> Any:
        return self._keys()[index]

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return key in self._keys()

    def __repr__(self) -> str:
        return repr(tuple(self._keys()))


STATUS_NAMES = StatusNames()
LISTED_STATUSES = StatusKeys("listed")  # what lists filter by: every status but merged


def voting_open(idea: Idea) -> bool:
    """True while the idea takes votes: not withdrawn, and not in a done or closed status or merged."""
    return not voting_closes(idea.status) and idea.withdrawn_at is None


name_statuses_with(label)  # event summaries and email subjects call statuses as pages do
