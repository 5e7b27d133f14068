"""The worker: delivers the outbox. In-app notifications exactly once; email at least once.

Each pass first fills the inboxes of every row still waiting, with a few set-based
statements (INSERT … SELECT from the outbox, ON CONFLICT DO NOTHING on (member, event)), so
an event with 10,000 followers reaches every inbox in seconds, before any email is tried.

Several workers may run at once. For email a worker claims a batch of due rows atomically
(PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one `UPDATE … RETURNING` under its write lock)
and holds them for a short lease, renewed while it works (ideas/leases.py), so no two workers
deliver the same row and a dead worker's rows come back within the lease. Rows that need no
email now (unconfirmed address, no email, digest) are settled in one statement, by the rules
that are applied again to each of the rest just before its email. A member's rows about one
idea wait out a short window and then go out as one email (NOTIFY_COLLAPSE_SECONDS). Each
email is sent under a fresh lease and a deadline shorter than it, and every outcome is written
only while its rows are still this worker's. An email is recorded as sent right after the
server accepts it (through database hiccups); only a crash in between can repeat it, with the
same Message-ID.

Each pass begins with the account emails (ideas/account_emails.py), which people wait for.

The modules, along their seams: `loop` (claiming, sending, the worker's loop), `inboxes` (the
in-app notifications, in bulk), `rules` (who gets no email now, and why), `collapsing` (one
email per member and idea within the window), `compose` (what an email says) and `digests`
(the daily email). The names other parts of the app use are re-exported here.
"""
from .compose import compose_notification_email, email_item
from .digests import digest_due, send_due_digests
from .inboxes import fill_inboxes
from .loop import BATCH, claim_batch, deliver_email, drain, run_forever, run_once
from .rules import settle_without_email

__all__ = [
    "BATCH", "claim_batch", "compose_notification_email", "deliver_email", "digest_due", "drain",
    "email_item", "fill_inboxes", "run_forever", "run_once", "send_due_digests", "settle_without_email",
]
