"""Sending email: over SMTP when MAIL_SERVER is set, otherwise written to the log."""
import smtplib
from contextlib import nullcontext
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale

from .site_settings import settings_snapshot


def send_email(to, subject, text_body, html_body=None, headers=None, message_id=None, sender=None):
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
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    return message


def send_template(to, subject, template, **context):
    """Render templates/email/<template>.txt and .html and send them.

    A `member` in the context who chose a language gets the email in it, whatever the language
    of the request that sends it; a lazy `subject` is worded in that language too.
    """
    locale = getattr(context.get("member"), "locale", None)
    with force_locale(locale) if locale else nullcontext():
        subject = str(subject)
        text_body = render_template(f"email/{template}.txt", **context)
        html_body = render_template(f"email/{template}.html", **context)
    return send_email(to, subject, text_body, html_body, sender=branded_sender())


def branded_sender():
    """MAIL_FROM, carrying the site name admins chose (if they did) as its display name."""
    name = settings_snapshot()["site_name"]
    if not name:
        return current_app.config["MAIL_FROM"]
    return formataddr((name, parseaddr(current_app.config["MAIL_FROM"])[1]))


def _sender_domain(address):
    return address.rsplit("@", 1)[-1].strip(" >") or "localhost"
