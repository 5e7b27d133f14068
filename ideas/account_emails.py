"""Account emails: reset links, sign-in codes, address confirmations and invitations.

The request that asks for one writes one row (`queue_account_email`: kind, address, language)
and nothing else, whatever the address, so neither its answer nor its time can tell whether an
account uses it; the row survives a crash of the web process. The worker (ideas/delivery/)
claims these rows before any notification, and only then looks the address up: no account (or
nothing left to send) settles the row as "skipped" with the reason; otherwise it makes the link
or code at that moment (the queue never holds a secret; a code's keyed hash goes where codes
live, ideas/access/), writes the email in the member's language, else the row's, and sends it,
retrying like the outbox (30 s, 1 min, … an hour; 8 tries; a 5xx refusal fails at once). The
claim, its lease and the deadline of each send are the outbox's (ideas/leases.py).

Per-recipient caps are applied here, by the worker: three reset emails an hour to one address
(ideas/throttles.py, counted on a row's first try) and five sign-in codes an hour to one member
(ideas/access/sign_in_codes.py, counted from the codes issued; a code whose email never left is
withdrawn).

Settled rows (sent, skipped, failed) keep their address KEEP_SETTLED for questions like "I never
got my code", then the worker deletes them.
"""
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, delete

from . import access, accounts, throttles
from .branding import site_name
from .extensions import db
from .i18n import current_locale
from .leases import Claim, stopping
from .links import base_url, external_url
from .mail import compose_template
from .models import AccountEmail, User, utcnow

log = logging.getLogger(__name__)

BATCH = 50
KEEP_SETTLED = timedelta(days=7)


def queue_account_email(kind: str, address: str) -> None:
    """Queue one `kind` email to `address` in the caller's transaction, in the language in force.

    Exactly one INSERT, whatever the address: no look-up, so the request does the same work
    for an address with an account and one without."""
    db.session.add(AccountEmail(kind=kind, address=accounts.normalise_email(address),
                                locale=current_locale()))


class Skip(Exception):
    """Nothing to send for this row; the message is the reason kept with it."""


@dataclass
class Composed:
    """An email ready to send, and the sign-in code it carries (withdrawn if it never leaves)."""

    message: dict
    member: User | None = None
    code: str | None = None


def _member(address: str) -> User:
    member = accounts.find_member_by_email(address)
    if member is None:
        raise Skip("no account uses this address")
    return member


def _reset(row: AccountEmail) -> Composed:
    # Counted on the first try only: a retry is not a second email. (A skipped row rolls its
    # count back, so only emails that were sent, or tried, use up the allowance.)
    if row.attempts == 0 and not throttles.may_send_reset_email(row.address):
        raise Skip(f"{throttles.RESET_EMAILS_PER_HOUR} reset emails this hour already")
    member = _member(row.address)
    link = external_url("auth.reset_password", token=accounts.password_reset_token(member))
    return Composed(compose_template(member.email, _l("Reset your password"), "reset_password",
                                     row.locale, member=member, link=link), member)


def _code(row: AccountEmail) -> Composed:
    member: User | None  # None again when the hour's codes are used up
    member = _member(row.address)
    if member.suspended_at is not None:
        raise Skip("the account is suspended")
    member, code = access.issue_sign_in_code(row.address)
    if member is None:
        raise Skip(f"{access.CODES_PER_HOUR} sign-in codes this hour already")
    minutes = int(access.CODE_LIFETIME.total_seconds() // 60)
    message = compose_template(member.email, _l("Your sign-in code for %(site)s", site=site_name()),
                               "sign_in_code", row.locale, member=member, code=code, minutes=minutes)
    # A fresh Message-ID: a retry carries a new code, which a client must not drop as a duplicate.
    message["message_id"] = make_msgid(domain=_domain())
    return Composed(message, member, code)


def _confirm(row: AccountEmail) -> Composed:
    member = _member(row.address)
    if member.is_confirmed:
        raise Skip("the address is confirmed already")
    link = external_url("auth.confirm", token=accounts.confirmation_token(member))
    return Composed(compose_template(member.email, _l("Confirm your email address"), "confirm",
                                     row.locale, member=member, link=link), member)


def _invite(row: AccountEmail) -> Composed:
    invitation = access.pending_invitation(row.address)
    if invitation is None:
        raise Skip("no pending invitation for this address")
    link = external_url("access.accept_invitation", token=access.invitation_token(invitation))
    inviter = invitation.invited_by.name if invitation.invited_by is not None else site_name()
    return Composed(compose_template(
        invitation.email, _l("You are invited to %(site)s", site=site_name()), "invitation", row.locale,
        invitation=invitation, inviter_name=inviter, link=link, days=access.INVITATION_LIFETIME.days))


COMPOSERS = {"reset": _reset, "code": _code, "confirm": _confirm, "invite": _invite}


def _domain() -> str:
    return base_url().split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"


def compose(row: AccountEmail) -> Composed:
    """The email `row` asks for, made now (links, code); raises Skip when there is none to send."""
    composed = COMPOSERS[row.kind](row)
    # Stable for links, so a repeat after a crash is one message to the mail client.
    composed.message.setdefault("message_id", f"<account-{row.id}@{_domain()}>")
    return composed


def claim_account_emails(limit: int = BATCH, now: datetime | None = None) -> Claim:
    """Atomically take up to `limit` due account emails for this worker, oldest first."""
    return Claim.take(AccountEmail, AccountEmail.state, limit, [AccountEmail.id], now)


def deliver_due_account_emails(limit: int = BATCH, stop: threading.Event | None = None) -> int:
    """Claim due account emails and send (or skip) each; how many rows were claimed.

    On `stop` (or an error) the email in hand is finished and the rest given back at once."""
    with claim_account_emails(limit) as claim:
        claimed = len(claim.ids)
        for row_id in claim.ids:
            if stopping(stop):
                break
            claim.renew_if_due()
            deliver_account_email(row_id, claim)
    return claimed


def deliver_account_email(row_id: int, claim: Claim) -> None:
    """Make and send the email of one row this worker claimed, and record what became of it."""
    row = db.session.get(AccountEmail, row_id, populate_existing=True)
    if row is None or row.state != "pending":
        db.session.commit()
        claim.let_go(row_id)
        return
    try:
        composed = compose(row)
    except Skip as reason:
        db.session.rollback()  # a code issued before the reason was found goes too
        claim.record(row_id, state="skipped", last_error=str(reason), next_attempt_at=None)
        return
    values = claim.send(row_id, composed.message, row.attempts, f"account email {row_id}")
    if values is not None:
        _record(row_id, claim, composed, values)


def _record(row_id: int, claim: Claim, composed: Composed, values: dict) -> None:
    """Keep the outcome of one send; a failed or retried one withdraws the code it carried."""
    sent = values.get("state") == "sent"

    def withdraw_code() -> None:
        if not sent and composed.code is not None and composed.member is not None:
            access.withdraw_sign_in_code(composed.member, composed.code)

    claim.record(row_id, also=withdraw_code, **(dict(values, last_error="") if sent else values))


def prune_settled_account_emails(now: datetime | None = None) -> int:
    """Delete account emails settled and older than KEEP_SETTLED (with them, the addresses they
    name); how many went. Rows still due are kept however old."""
    cutoff = (now or utcnow()) - KEEP_SETTLED
    gone = cast(CursorResult, db.session.execute(
        delete(AccountEmail).where(AccountEmail.created_at < cutoff,
                                   AccountEmail.next_attempt_at.is_(None)),
        execution_options={"synchronize_session": False})).rowcount
    db.session.commit()
    return gone
