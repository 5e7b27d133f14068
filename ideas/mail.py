"""Sending email: over SMTP when MAIL_SERVER is set, otherwise written to the log."""
import logging
import smtplib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from flask import current_app, render_template
from flask_babel import LazyString, force_locale

from .deadlines import shut_after
from .models import utcnow
from .site_settings import settings_snapshot

log = logging.getLogger(__name__)

# A queued email (outbox row or account email) is tried this many times before it has failed.
MAX_ATTEMPTS = 8
# The longest one read or write on the SMTP connection may wait; the whole send has a deadline
# too (MAIL_SEND_DEADLINE_SECONDS), which a server dripping bytes would otherwise never meet.
SOCKET_TIMEOUT_SECONDS = 30.0


class PermanentFailure(Exception):
    """The mail server refused for good (5xx): retrying cannot help."""


class SendDeadlinePassed(TimeoutError):
    """One send outlasted MAIL_SEND_DEADLINE_SECONDS and was cut off; it is tried again later."""


def retry_delay(attempts: int) -> timedelta:
    """How long a queued email waits after its `attempts`-th failure: 30 s, 1 min, 2 min, …
    capped at an hour, so a mail server that is down is not hammered."""
    return min(timedelta(seconds=30 * 2 ** (attempts - 1)), timedelta(hours=1))


def send_email(to: str, subject: str, text_body: str, html_body: str | None = None,
               headers: dict[str, str] | None = None, message_id: str | None = None,
               sender: str | None = None) -> EmailMessage:
    """Send one message with a text part and, when given, an HTML part.

    A stable `message_id` lets mail clients drop the duplicate a retried delivery may make.
    """
    config = current_app.config
    message = EmailMessage()
    message["From"] = sender or config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=_sender_domain(config["MAIL_FROM"]))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text_body)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    # Long header values (List-Unsubscribe URLs) must stay readable, not be RFC 2047-folded.
    message.policy = message.policy.clone(max_line_length=998)
    if not config.get("MAIL_SERVER"):
        current_app.logger.info("Email not sent (MAIL_SERVER unset):\n%s", message.as_string())
        return message
    deadline = float(config["MAIL_SEND_DEADLINE_SECONDS"])
    # The socket timeout bounds each read; a server that drips bytes is stopped by the deadline.
    smtp = smtplib.SMTP(timeout=min(SOCKET_TIMEOUT_SECONDS, deadline))
    with cut_off_after(deadline, smtp):
        smtp.connect(config["MAIL_SERVER"], config["MAIL_PORT"])
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
        _quit(smtp)
    return message


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the message is accepted already, so a server that fails now changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


@contextmanager
def cut_off_after(seconds: float, smtp: smtplib.SMTP) -> Iterator[None]:
    """Close the connection of `smtp` when the block takes longer than `seconds`: the block then
    fails with SendDeadlinePassed (a temporary failure), however the server kept it waiting.

    A timer thread shuts the socket down; the read the sender is blocked in ends at once."""
    with shut_after(seconds, smtp) as passed:
        try:
            yield
        except (smtplib.SMTPException, OSError) as error:
            if passed.is_set():
                raise SendDeadlinePassed(f"the mail server took longer than {seconds:g} s") from error
            raise
        finally:
            smtp.close()


def send_composed(message: dict) -> None:
    """Send a composed email (send_email's arguments); a refusal every recipient gets with 5xx
    is permanent (PermanentFailure), anything else may pass and is worth retrying."""
    try:
        send_email(**message)
    except smtplib.SMTPRecipientsRefused as error:
        if all(500 <= code < 600 for code, _ in error.recipients.values()):
            raise PermanentFailure(str(error)) from error
        raise
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a queued email came to: "sent", "retry" (a temporary failure) or
    "failed" (a permanent one), with the error and its code (failure_code) when it did not go."""

    state: str
    error: str = ""
    code: str = ""


def try_sending(message: dict, label: str) -> Outcome:
    """Send one queued email (`label` names its row in the log) and say how it went; a temporary
    failure is logged with the row, the recipient's domain and the server's code."""
    try:
        send_composed(message)
    except PermanentFailure as error:
        log.warning("%s to %s refused for good: %s", label, domain_of(message["to"]), error)
        return Outcome("failed", str(error)[:1000], "5xx")
    except (smtplib.SMTPException, OSError) as error:
        code = failure_code(error)
        log.warning("%s to %s failed for now (code %s): %s", label, domain_of(message["to"]), code,
                    _without_addresses(error))
        return Outcome("retry", f"{type(error).__name__}: {error}"[:1000], code)
    return Outcome("sent")


def after_attempt(outcome: Outcome, attempts: int) -> dict:
    """The columns of a queued row after an attempt (its `attempts` before it); the row's state
    column is "state". The back-off counts from now, the end of the attempt: a send that took its
    whole deadline still waits the full delay before the next."""
    now = utcnow()
    if outcome.state == "sent":
        return dict(state="sent", sent_at=now, next_attempt_at=None)
    if outcome.state == "retry" and attempts + 1 < MAX_ATTEMPTS:
        return dict(attempts=attempts + 1, last_error=outcome.error,
                    next_attempt_at=now + retry_delay(attempts + 1))
    return dict(state="failed", attempts=attempts + (outcome.state == "retry"), last_error=outcome.error,
                next_attempt_at=None)


def failure_code(error: BaseException) -> str:
    """What a failed send says in the log: the server's reply codes, or what went wrong on the way."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return ",".join(sorted({str(code) for code, _ in error.recipients.values()}))
    if isinstance(error, smtplib.SMTPResponseException):
        return str(error.smtp_code)
    if isinstance(error, SendDeadlinePassed):
        return "deadline"
    return type(error).__name__


def _without_addresses(error: BaseException) -> str:
    """The server's words about a failure, without the recipient's address (logs name domains)."""
    replies: Iterable[tuple[int, bytes | str]]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = error.recipients.values()
    elif isinstance(error, smtplib.SMTPResponseException):
        replies = [(error.smtp_code, error.smtp_error)]
    else:
        return str(error)
    return "; ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                     for code, text in replies)


def domain_of(address: str) -> str:
    """The domain of an address, the part of a recipient a log may name."""
    return parseaddr(address)[1].rpartition("@")[2].lower() or "?"


def compose_template(to: str, subject: str | LazyString, template: str, locale: str | None = None,
                     **context: Any) -> dict:
    """templates/email/<template>.txt and .html rendered for `to`, as send_composed takes them.

    A `member` in the context who chose a language gets the email in it; otherwise it is in
    `locale` (the language of the page that asked), else the one in force. A lazy `subject` is
    worded in that language too.
    """
    locale = getattr(context.get("member"), "locale", None) or locale
    with force_locale(locale) if locale else nullcontext():
        subject = str(subject)
        text_body = render_template(f"email/{template}.txt", **context)
        html_body = render_template(f"email/{template}.html", **context)
    return dict(to=to, subject=subject, text_body=text_body, html_body=html_body, sender=branded_sender())


def branded_sender() -> str:
    """MAIL_FROM, carrying the site name admins chose (if they did) as its display name."""
    name = settings_snapshot()["site_name"]
    if not name:
        return current_app.config["MAIL_FROM"]
    return formataddr((name, parseaddr(current_app.config["MAIL_FROM"])[1]))


def _sender_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >") or "localhost"
