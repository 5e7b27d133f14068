"""A worker's claim on rows of an email queue (the outbox, account emails): short, renewed, named.

A worker claims a batch by writing `claimed_until` on its rows; that value is its token for them,
and every later write to a row names it, so a worker whose lease ran out (and whose rows another
worker has taken since) changes nothing. The numbers are settings (config.py), defaults:

- the lease, WORKER_LEASE_SECONDS (45 s): how long a dead worker holds its rows. A worker killed
  mid-batch leaves them to the next worker within that time, plus its poll.
- the renewal, WORKER_RENEW_SECONDS (15 s): the rows not yet sent get a fresh lease that often,
  checked before each email; and each row gets a fresh lease right before its send.
- the deadline of one send, MAIL_SEND_DEADLINE_SECONDS (20 s, ideas/mail.py): shorter than the
  lease, so a send never outlasts the claim it started under, and its result is recorded with
  25 s to spare even while the database is slow.

Writing the result is retried through database hiccups (a lock, a restart) for up to a lease:
giving the row back after the mail server accepted it would send it twice. A worker that stops
(a signal, an error) gives back at once the rows it has not started on.
"""
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from .database import claim_due, dialect_name
from .extensions import db
from .mail import after_attempt, try_sending
from .models import utcnow

log = logging.getLogger(__name__)


def stopping(stop: threading.Event | None) -> bool:
    """Whether the worker was asked to stop (SIGTERM, SIGINT, a test)."""
    return stop is not None and stop.is_set()

T = TypeVar("T")


@dataclass(frozen=True)
class LeaseTimes:
    """The lease, how often it is renewed, and the deadline of one send (see the module's text)."""

    lease: timedelta
    renew_every: timedelta
    send_deadline: timedelta

    @classmethod
    def from_config(cls, config: Any) -> "LeaseTimes":
        """The app's settings, refused when a send could outlast the lease it began under."""
        times = cls(timedelta(seconds=float(config["WORKER_LEASE_SECONDS"])),
                    timedelta(seconds=float(config["WORKER_RENEW_SECONDS"])),
                    timedelta(seconds=float(config["MAIL_SEND_DEADLINE_SECONDS"])))
        if times.send_deadline + times.renew_every >= times.lease:
            raise RuntimeError("MAIL_SEND_DEADLINE_SECONDS + WORKER_RENEW_SECONDS must be shorter "
                               "than WORKER_LEASE_SECONDS, or a send may outlast its worker's claim")
        return times


def lease_times() -> LeaseTimes:
    """The current app's lease settings."""
    return LeaseTimes.from_config(current_app.config)


def is_transient(error: BaseException) -> bool:
    """True for a database error that a moment's wait may cure: a lock held too long, a lost
    connection, a server restarting. Nothing was written, and the same write may then succeed."""
    if not isinstance(error, DBAPIError):
        return False
    return isinstance(error, (OperationalError, InterfaceError)) or bool(error.connection_invalidated)


def retry_through_hiccups(write: Callable[[], T], within: timedelta, what: str) -> T:
    """Run `write` (which commits), again after a transient database error, until it succeeds or
    `within` has passed (then the error is raised). `write` must be safe to repeat."""
    give_up_at, pause = time.monotonic() + within.total_seconds(), 0.1
    while True:
        try:
            return write()
        except DBAPIError as error:
            db.session.rollback()
            if not is_transient(error) or time.monotonic() + pause > give_up_at:
                raise
            log.warning("%s: database busy or away (%s); trying again in %.1f s",
                        what, type(getattr(error, "orig", error)).__name__, pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


class Claim:
    """The rows of one queue this worker holds, and the lease (token) it holds each by.

    `model` has `claimed_until` and `next_attempt_at`; `state` is its column that reads "pending"
    while an email is still to be sent."""

    def __init__(self, model: Any, state: Any, row_ids: Iterable[int], until: datetime,
                 times: LeaseTimes) -> None:
        self.model, self.state, self.times = model, state, times
        self.until = until
        self.tokens = {row_id: until for row_id in row_ids}
        self.renewed_at = time.monotonic()

    @classmethod
    def take(cls, model: Any, state: Any, limit: int, order_by: list, now: datetime | None = None,
             times: LeaseTimes | None = None) -> "Claim":
        """Atomically claim up to `limit` due rows for this worker (ideas.database.claim_due)."""
        times = times or lease_times()
        now = now or utcnow()
        return cls(model, state, claim_due(model, limit, now, times.lease, order_by), now + times.lease,
                   times)

    @property
    def ids(self) -> list[int]:
        """The rows still held and not yet settled, in id order."""
        return sorted(self.tokens)

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Whatever ended the block (the batch done, a stop, an error), no row stays held."""
        self.release()

    def _ours(self, row_id: int, token: datetime) -> ColumnElement[bool]:
        return and_(self.model.id == row_id, self.model.claimed_until == token)

    def _update(self, condition: ColumnElement[bool], **values: Any) -> list[int]:
        """UPDATE the held rows matching `condition` (still pending); the ids that matched."""
        return list(db.session.execute(
            update(self.model).where(condition, self.state == "pending").values(**values)
            .returning(self.model.id),
            execution_options={"synchronize_session": False}).scalars())

    def _held(self, tokens: dict[int, datetime] | None = None) -> ColumnElement[bool]:
        """A condition matching every row still held (or those of `tokens`) by its token."""
        groups: dict[datetime, list[int]] = {}
        for row_id, token in (self.tokens if tokens is None else tokens).items():
            groups.setdefault(token, []).append(row_id)
        return or_(*(and_(self.model.id.in_(ids), self.model.claimed_until == token)
                     for token, ids in groups.items()))

    def take_also(self, condition: ColumnElement[bool], now: datetime) -> list[int]:
        """Add to this claim, under its current lease, the due rows matching `condition` that no
        live lease holds (PostgreSQL skips rows another worker is claiming); their ids. For rows
        that one email about rows held already carries too (ideas/delivery/collapsing.py)."""
        free = select(self.model.id).where(
            condition, self.model.next_attempt_at <= now,
            or_(self.model.claimed_until.is_(None), self.model.claimed_until < now))
        if dialect_name() == "postgresql":
            free = free.with_for_update(skip_locked=True)
        taken = self._update(self.model.id.in_(free.scalar_subquery()), claimed_until=self.until)
        db.session.commit()
        self.tokens.update(dict.fromkeys(taken, self.until))
        return taken

    def renew_if_due(self) -> None:
        """Give the rows not yet settled a fresh lease when WORKER_RENEW_SECONDS have passed since
        the last; rows lost meanwhile (the lease ran out and another worker took them) are let go."""
        if not self.tokens or time.monotonic() - self.renewed_at < self.times.renew_every.total_seconds():
            return
        until = utcnow() + self.times.lease
        kept = set(self._update(self._held(), claimed_until=until))
        db.session.commit()
        lost = set(self.tokens) - kept
        if lost:
            log.warning("%s rows %s were taken by another worker after this one's lease ran out",
                        self.model.__tablename__, sorted(lost))
        self.tokens = {row_id: until for row_id in kept}
        self.until, self.renewed_at = until, time.monotonic()

    def hold(self, row_id: int) -> bool:
        """Extend the lease of one row for its send, in the caller's transaction; False (and the
        row let go) when it is no longer this worker's or no longer pending. Just before the send,
        so the whole send (at most MAIL_SEND_DEADLINE_SECONDS) fits in the lease."""
        token = self.tokens.get(row_id)
        until = utcnow() + self.times.lease
        if token is None or not self._update(self._ours(row_id, token), claimed_until=until):
            self.tokens.pop(row_id, None)
            return False
        self.tokens[row_id] = until
        return True

    def send(self, row_id: int, message: dict, attempts: int, label: str) -> dict | None:
        """Hold one row, end the transaction (SQLite's write lock must not wait on a mail server,
        and what the email carries must be saved before it arrives), send `message`, and return
        the values to `record`; None when another worker took the row after this one's lease."""
        if not self.hold(row_id):
            db.session.rollback()
            log.warning("%s was taken by another worker after its lease ran out", label)
            return None
        db.session.commit()
        return after_attempt(try_sending(message, label), attempts)

    def record(self, row_ids: int | Sequence[int], also: Callable[[], None] | None = None,
               **values: Any) -> bool:
        """Write what became of one row, or of several sent as one email (`values`; their claim
        ends), those still this worker's, and commit; after `also()` in the same transaction, so
        one email's rows are settled together. Retried through database hiccups for up to a
        lease: giving the rows back instead would send their email again. False when a row was
        not ours any more."""
        ids = [row_ids] if isinstance(row_ids, int) else list(row_ids)
        tokens = {row_id: self.tokens.pop(row_id) for row_id in ids if row_id in self.tokens}
        if not tokens:
            return False

        def write() -> set[int]:
            if also is not None:
                also()
            ours = set(self._update(self._held(tokens), claimed_until=None, **values))
            db.session.commit()
            return ours

        what = f"recording {self.model.__tablename__} {', '.join(map(str, sorted(tokens)))}"
        ours = retry_through_hiccups(write, self.times.lease, what)
        if lost := sorted(set(tokens) - ours):
            log.warning("%s %s taken by another worker after this one's lease ran out; "
                        "the outcome is left to that worker", self.model.__tablename__, lost)
        return not lost and len(tokens) == len(ids)

    def let_go(self, row_id: int) -> None:
        """Forget a row this worker settled by other means (no email needed)."""
        self.tokens.pop(row_id, None)

    def release(self) -> int:
        """Give back every row still held and pending, due at once for the next worker (after a
        stop or an error); how many. Best effort: should the database stay away, the lease ends it."""
        if not self.tokens:
            return 0

        def write() -> int:
            released = len(self._update(self._held(), claimed_until=None))
            db.session.commit()
            return released

        try:
            db.session.rollback()
            released = retry_through_hiccups(write, self.times.renew_every,
                                              f"releasing {self.model.__tablename__}")
        except DBAPIError:
            log.exception("could not give back %s rows %s; they come back when the lease ends",
                          self.model.__tablename__, self.ids)
            return 0
        self.tokens.clear()
        return released
