"""What a notification email says: each event as its kind's registry entry words it, in the
member's language, with the links, headers and Message-ID every email carries.

One email is about one event, about several events on one idea (collapsed within the window,
ideas/delivery/collapsing.py), or a digest of everything since the last.
"""
from collections.abc import Sequence
from typing import Any

from flask import render_template
from flask_babel import force_locale

from ..branding import site_name
from ..events import kind_named
from ..i18n import DEFAULT_LOCALE
from ..links import base_url, external_url
from ..mail import branded_sender
from ..models import Event, OutboxRow, User
from ..notifications import link_target, payload_of, quoted_html, summary
from ..unsubscribe import unsubscribe_token


def compose_notification_email(member: User, rows: Sequence[OutboxRow],
                               digest: bool = False) -> dict[str, Any]:
    """The email about `rows` (one event, a member's events on one idea, or a digest) for
    `member`, ready to send, in the member's language (their setting; English when they left
    it to the browser)."""
    with force_locale(member.locale or DEFAULT_LOCALE):
        return _compose(member, rows, digest)


def email_item(event: Event) -> dict[str, Any]:
    """What an email says of one event, as its kind's registry entry words it: summary (plain
    words, for the text part), headline and quoted HTML (for the HTML part, which shows what a
    member wrote as its sanitised HTML), subject, link, and the templates (`<template>.txt`,
    `<template>.html`) that render it."""
    payload = payload_of(event)
    kind = kind_named(event.kind)
    endpoint, values = link_target(event, payload)
    quote_html = quoted_html(event.kind, payload)
    said = summary(event.kind, payload)
    return dict(kind=event.kind, idea_id=event.idea_id, payload=payload,
                link=external_url(endpoint, **values), summary=said,
                headline=summary(event.kind, payload, quoting=False) if quote_html else said,
                quote_html=quote_html, created_at=event.created_at,
                subject=kind.subject(payload) if kind is not None else said,
                template=kind.template if kind is not None else "email/events/default")


def _compose(member: User, rows: Sequence[OutboxRow], digest: bool) -> dict[str, Any]:
    items = [email_item(row.event) for row in rows]
    unsubscribe = external_url("notifications.unsubscribe", token=unsubscribe_token(member))
    context = dict(member=member, items=items, digest=digest, collapsed=not digest and len(items) > 1,
                   idea_count=len({item["idea_id"] for item in items}), unsubscribe_url=unsubscribe,
                   settings_url=external_url("account.notification_settings"),
                   site_name=site_name())
    domain = base_url().split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    return dict(
        to=member.email,
        subject=render_template("email/notification_subject.txt", **context).strip(),
        text_body=render_template("email/notification.txt", **context),
        html_body=render_template("email/notification.html", **context),
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        message_id=(f"<digest-{member.id}-{rows[-1].id}@{domain}>" if digest
                    else f"<notification-{rows[0].id}@{domain}>"),
        sender=branded_sender(),
    )
