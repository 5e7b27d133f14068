"""The pulse: what customers talked about most in the last days, by tag and by word.

Volume is activity in the window: ideas proposed, votes cast and public comments written. A tag
counts each activity row on an idea carrying it; a word counts each row whose text mentions it
(an idea and its votes through the idea's title, a comment through its body or its idea's
title), so no row counts twice for one tag or word. Only public ideas count (not withdrawn,
hidden, awaiting approval or merged), and only public comments (no internal notes, nothing
hidden or deleted): the pulse is the same for every reader, so it can be cached.

Words are read from a bounded sample (the most active ideas' titles, the newest comments), so a
render costs the same at 100,000 ideas as at 100; the tags are counted in full, in SQL.
"""
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (CTE, ColumnClause, ColumnElement, SQLColumnExpression, func, literal_column, null,
                        select, union_all)

from .extensions import db
from .models import KINDS, Comment, Idea, Tag, Vote, utcnow
from .models.idea import idea_tags
from .search import MAX_TERM_LENGTH, STOP_WORDS as SEARCH_STOP_WORDS
from .visibility import VISITOR, listed_condition

WINDOWS = (7, 28, 90)  # days a reader may choose
DEFAULT_WINDOW = 28
TAG_LIMIT = 24
TERM_LIMIT = 40
IDEA_SAMPLE = 2_000  # the most active ideas of the window whose titles are read for words
COMMENT_SAMPLE = 3_000  # the newest comments of the window whose bodies are read
COMMENT_CHARS = 2_000  # of each comment body
SIZES = 5  # steps from the quietest shown topic (1) to the loudest (5)

# Every word search ignores (a word shown must find ideas on the board), and common fillers.
ENGLISH_STOP_WORDS = SEARCH_STOP_WORDS | frozenset("""
also already always another anyone anything around away back can't cannot com could didn didn't
doesn doesn't don don't else even ever every first get gets getting give go going good got great
hello hey however http https i'm i've isn isn't it's last let like lot make makes many may maybe
might much must need needs new next now okay one please really right see seems still sure thank
thanks that's thing things think three two use used using want wants way well won won't www yes
yet
""".split())
GERMAN_STOP_WORDS = frozenset("""
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
auch auf aus bei beim bin bis bitte bist da damit dann das dass dein deine dem den der des dich
die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer
eines einfach er es etwas euch euer für gibt habe haben hat hatte hier hin ich ihr ihre im immer
in ins ist ja jede jedem jeden jeder jedes jetzt kann kein keine keinem keinen keiner man mehr
mein meine mich mir mit muss nach nicht nichts noch nun nur ob oder ohne schon sehr sein seine
sich sie sind so soll sollte über um und uns unser unter viel vom von vor war waren warum was
weil wenn wer werden wie wieder will wir wird wo wurde zu zum zur danke gut gerne mal zwei drei
erste letzte nächste
""".split())
STOP_WORDS = ENGLISH_STOP_WORDS | GERMAN_STOP_WORDS

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
LINK = re.compile(r"(?:https?://|www\.)\S+")
MIN_WORD = 3


@dataclass
class Topic:
    """A tag or a word, with the activity that mentioned it, split by kind of idea."""

    name: str
    colour: str | None = None  # a tag's colour class; None for words
    ideas: int = 0
    votes: int = 0
    comments: int = 0
    by_kind: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    size: int = 1

    @property
    def volume(self) -> int:
        return self.ideas + self.votes + self.comments

    @property
    def main_kind(self) -> str:
        """The kind of idea that brought most of the volume (the first of KINDS on a tie)."""
        return max(KINDS, key=lambda kind: (self.by_kind[kind], -KINDS.index(kind)))

    def add(self, kind: str, ideas: int = 0, votes: int = 0, comments: int = 0) -> None:
        self.ideas += ideas
        self.votes += votes
        self.comments += comments
        self.by_kind[kind] += ideas + votes + comments


@dataclass(frozen=True)
class Pulse:
    """The loudest tags and words of the last `days` days, loudest first."""

    days: int
    since: datetime
    computed_at: datetime
    tags: list
    terms: list
    sampled: bool  # words come from a sample: the window held more than was read

    @property
    def is_quiet(self) -> bool:
        return not self.tags and not self.terms


def window_days(value: Any) -> int:
    """The window a reader asked for (`"7"`, `"28"`, `"90"`), else the default."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_WINDOW
    return days if days in WINDOWS else DEFAULT_WINDOW


def words_of(text: str | None) -> set[str]:
    """The distinct words of `text` worth showing: lower case, letters only, no stop words."""
    text = LINK.sub(" ", (text or "").lower().replace("’", "'"))
    return {word for word in WORD.findall(text)
            if MIN_WORD <= len(word) <= MAX_TERM_LENGTH and word not in STOP_WORDS}


def _public_ideas() -> tuple[ColumnElement[bool]]:
    """The condition that keeps an idea in the pulse: on the board of a signed-out visitor, for
    every reader (staff included), so one cached pulse serves all."""
    return (listed_condition(VISITOR),)


def _public_comments(since: datetime) -> tuple[SQLColumnExpression[bool], ...]:
    return (Comment.created_at >= since, Comment.counts_as_public)


def activity_by_idea(since: datetime) -> CTE:
    """A CTE: per idea, the ideas (0 or 1), votes and public comments of the window."""
    zero: ColumnClause[int]
    one: ColumnClause[int]
    zero, one = literal_column("0"), literal_column("1")
    rows = union_all(
        select(Idea.id.label("idea_id"), one.label("ideas"), zero.label("votes"), zero.label("comments"))
        .where(Idea.created_at >= since),
        select(Vote.idea_id, zero, one, zero).where(Vote.created_at >= since),
        select(Comment.idea_id, zero, zero, one).where(*_public_comments(since)),
    ).subquery()
    return (select(rows.c.idea_id, func.sum(rows.c.ideas).label("ideas"),
                   func.sum(rows.c.votes).label("votes"), func.sum(rows.c.comments).label("comments"))
            .group_by(rows.c.idea_id).cte("activity"))


def activity_rows(since: datetime) -> Sequence[Sequence[Any]]:
    """One statement, so the window's activity is gathered once (both databases materialise a
    CTE read twice): a row per tag and kind with its sums (the tags are counted in full), then
    the IDEA_SAMPLE + 1 most active ideas with their titles (to read words from).

    Rows are (tag name or None, tag colour or None, idea id or None, title or None, kind,
    ideas, votes, comments)."""
    activity = activity_by_idea(since)
    volume = activity.c.ideas + activity.c.votes + activity.c.comments
    none = null()
    tags = (
        select(Tag.name, Tag.colour, none, none, Idea.kind, func.sum(activity.c.ideas),
               func.sum(activity.c.votes), func.sum(activity.c.comments))
        .select_from(activity)
        .join(Idea, Idea.id == activity.c.idea_id)
        .join(idea_tags, idea_tags.c.idea_id == Idea.id)
        .join(Tag, Tag.id == idea_tags.c.tag_id)
        .where(*_public_ideas())
        .group_by(Tag.id, Tag.name, Tag.colour, Idea.kind)
    )
    ideas = (
        select(none, none, Idea.id, Idea.title, Idea.kind, activity.c.ideas, activity.c.votes,
               activity.c.comments)
        .select_from(activity).join(Idea, Idea.id == activity.c.idea_id).where(*_public_ideas())
        .order_by(volume.desc(), Idea.id.desc()).limit(IDEA_SAMPLE + 1)
        .subquery()  # a subquery keeps its ORDER BY and LIMIT inside UNION ALL on SQLite too
    )
    return db.session.execute(union_all(tags, select(ideas))).all()


def newest_comments(since: datetime) -> Sequence[Sequence[Any]]:
    """The newest COMMENT_SAMPLE + 1 public comments of the window: (body, idea id, its title,
    its kind). Newest by id, so the query walks the primary key backwards and stops early."""
    return db.session.execute(
        select(func.substr(Comment.body, 1, COMMENT_CHARS), Comment.idea_id, Idea.title, Idea.kind)
        .join(Idea, Idea.id == Comment.idea_id)
        .where(*_public_comments(since), *_public_ideas())
        .order_by(Comment.id.desc()).limit(COMMENT_SAMPLE + 1)).all()


def loudest_tags(rows: Iterable[Sequence[Any]], limit: int = TAG_LIMIT) -> list[Topic]:
    """The tags with the most activity, each split by kind, from `activity_rows`."""
    tags: dict[str, Topic] = {}
    for name, colour, _, _, kind, ideas, votes, comments in rows:
        if name is not None:
            tags.setdefault(name, Topic(name, colour)).add(kind, int(ideas), int(votes), int(comments))
    return _loudest(tags.values(), limit)


def loudest_terms(rows: Iterable[Sequence[Any]], comments: Sequence[Sequence[Any]],
                  limit: int = TERM_LIMIT) -> list[Topic]:
    """The words mentioned by the most activity, from `activity_rows` and `newest_comments`."""
    terms: dict[str, Topic] = {}
    read_titles: dict[int, set[str]] = {}
    for _, _, idea_id, title, kind, new, votes, comment_count in rows:
        if idea_id is None or len(read_titles) == IDEA_SAMPLE:
            continue
        read_titles[idea_id] = words = words_of(title)
        for word in words:
            terms.setdefault(word, Topic(word)).add(kind, int(new), int(votes), int(comment_count))
    title_words: dict[int, set[str]] = {}
    for body, idea_id, title, kind in comments[:COMMENT_SAMPLE]:
        if idea_id in read_titles:  # the comment already counts for its title's words, through the idea
            mentioned = words_of(body) - read_titles[idea_id]
        else:
            if idea_id not in title_words:
                title_words[idea_id] = words_of(title)
            mentioned = words_of(body) | title_words[idea_id]
        for word in mentioned:
            terms.setdefault(word, Topic(word)).add(kind, comments=1)
    return _loudest(terms.values(), limit)


def _loudest(topics: Iterable[Topic], limit: int) -> list[Topic]:
    """The `limit` loudest topics, loudest first (then by name), each sized against the loudest."""
    chosen = sorted(topics, key=lambda topic: (-topic.volume, topic.name))[:limit]
    if chosen:
        loudest = chosen[0].volume
        for topic in chosen:
            # Square root: a topic with a quarter of the loudest's volume still reads at half size.
            topic.size = max(1, math.ceil(SIZES * math.sqrt(topic.volume / loudest)))
    return chosen


def pulse_of(days: int = DEFAULT_WINDOW, now: datetime | None = None) -> Pulse:
    """Compute the pulse of the last `days` days."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    rows, comments = activity_rows(since), newest_comments(since)
    sampled = (sum(1 for row in rows if row[2] is not None) > IDEA_SAMPLE
               or len(comments) > COMMENT_SAMPLE)
    return Pulse(days=days, since=since, computed_at=now, tags=loudest_tags(rows),
                 terms=loudest_terms(rows, comments), sampled=sampled)


_cache_lock = threading.Lock()


def recent_pulse(days: int = DEFAULT_WINDOW, clock: Callable[[], float] = time.monotonic) -> Pulse:
    """The pulse of the last `days` days, computed at most once a minute per process and window.

    It is the same for every reader and every language (labels are the templates' business),
    so one entry per window serves all; PULSE_CACHE_SECONDS (default 60) sets how long."""
    seconds = current_app.config["PULSE_CACHE_SECONDS"]
    cache = current_app.extensions.setdefault("pulse", {})
    now = clock()
    with _cache_lock:
        entry = cache.get(days)
        if entry is not None and now - entry[0] < seconds:
            return entry[1]
    pulse = pulse_of(days)
    with _cache_lock:
        cache[days] = (now, pulse)
    return pulse
