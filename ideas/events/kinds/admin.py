"""The kinds of an admin's site-wide work: settings, webhook endpoints, CSV imports. Nobody is
told of them: the audit log keeps them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..registry import AuditEntry, EventKind, Payload, register
from .common import EVERY_SCORE, Created, Updated, register_audited, register_created, register_updated

if TYPE_CHECKING:
    from ...models import ProductSecret, User, WebhookEndpoint


# Site settings: the log names the site as the target, and only the values that changed.

@dataclass(frozen=True)
class SettingsChange:
    """An admin changed site settings: `before` and `after` hold the changed keys only
    (changed_values); each kind below says which settings."""

    actor: User
    before: Payload
    after: Payload


class SiteRulesChanged(SettingsChange):
    """Confirmation, first-idea approval, private webhook addresses."""


class AccessRulesChanged(SettingsChange):
    """Private mode and who may sign up."""


class BrandingChanged(SettingsChange):
    """The site's name, accent colour, welcome text and logo."""


class SsoSettingsChanged(SettingsChange):
    """The OpenID Connect provider and "members sign in only through it"; the client secret only
    as "(hidden)" before and "(changed)" after."""


def _site_settings(event: SettingsChange) -> tuple[None, Payload, Payload]:
    return None, event.before, event.after


register_audited("settings_changed", SiteRulesChanged, "settings.changed", _site_settings)
register_audited("access_changed", AccessRulesChanged, "settings.access_changed", _site_settings)
register_audited("branding_changed", BrandingChanged, "settings.branding_changed", _site_settings)
register_audited("sso_changed", SsoSettingsChanged, "settings.sso_changed", _site_settings)


class AnswerPromiseChanged(SettingsChange):
    """The number of days within which the team promises to answer every idea (the
    accountability page measures it); None: no promise."""


register_audited("answer_promise", AnswerPromiseChanged, "settings.promise_changed", _site_settings)


class PriorityWeightsChanged(SettingsChange):
    """The weights of the priority score: every idea's score is recomputed."""


register_audited("priority_weights", PriorityWeightsChanged, "settings.priority_changed", _site_settings,
                 lambda event: EVERY_SCORE)


class StatusesChanged(SettingsChange):
    """Admins added, changed, reordered, archived or removed statuses: pages that list statuses
    (the board's filters, the roadmap's columns) read them afresh."""


register(EventKind(name="statuses_changed", event_type=StatusesChanged,
                   audit=AuditEntry("settings.statuses_changed", _site_settings),
                   stale=("idea", "board", "roadmap")))


# Secrets for sign-in from the company's product: the log keeps a secret's key id, never its value.

def secret_view(secret: ProductSecret) -> Payload:
    """What the audit log keeps of a product sign-in secret."""
    return {"kid": secret.kid, "live": secret.live}


class ProductSecretCreated(Created["ProductSecret"]):
    """An admin made a secret the product may sign tokens with."""


class ProductSecretRetired(Updated["ProductSecret"]):
    """An admin retired a secret: tokens signed with it are refused from then on."""


register_created("product_secret_created", ProductSecretCreated, "product_sign_in.secret_created",
                 secret_view)
register_updated("product_secret_retired", ProductSecretRetired, "product_sign_in.secret_retired",
                 secret_view)


# Webhook endpoints: the log never keeps the secret itself.

def endpoint_view(endpoint: WebhookEndpoint) -> Payload:
    """What the audit log keeps of an endpoint: never its secret."""
    return {"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}


class WebhookCreated(Created["WebhookEndpoint"]):
    """An admin added an endpoint."""


@dataclass(frozen=True)
class WebhookChanged:
    """An admin changed `endpoint`: `before` and `after` hold what changed (changed_values of
    endpoint_view, with "secret": "old" → "replaced" when it got a new one)."""

    actor: User
    endpoint: WebhookEndpoint
    before: Payload
    after: Payload


@dataclass(frozen=True)
class WebhookSwitched:
    """An admin enabled or disabled `endpoint`; each kind below says which."""

    actor: User
    endpoint: WebhookEndpoint


class WebhookEnabled(WebhookSwitched):
    """Events are queued for the endpoint again."""


class WebhookDisabled(WebhookSwitched):
    """Nothing is queued for the endpoint any more."""


@dataclass(frozen=True)
class WebhookDeleted:
    """An admin removed `endpoint` (and its delivery log); it was `before` (its endpoint_view)."""

    actor: User
    endpoint: WebhookEndpoint
    before: Payload


register_created("webhook_created", WebhookCreated, "webhook.created", endpoint_view)
register_audited("webhook_changed", WebhookChanged, "webhook.changed",
                 lambda event: (event.endpoint, event.before, event.after))
register_audited("webhook_enabled", WebhookEnabled, "webhook.enabled",
                 lambda event: (event.endpoint, {"active": False}, {"active": True}))
register_audited("webhook_disabled", WebhookDisabled, "webhook.disabled",
                 lambda event: (event.endpoint, {"active": True}, {"active": False}))
register_audited("webhook_deleted", WebhookDeleted, "webhook.deleted",
                 lambda event: (event.endpoint, event.before, None))


# CSV imports

class ImportTarget:
    """What the audit log names as the target of an import (a table of its own: "csv_import")."""

    __tablename__ = "csv_import"
    id = None


@dataclass(frozen=True)
class CsvImported:
    """Staff imported a file; `summary` counts what it created (ImportPlan.summary)."""

    actor: User
    summary: Payload


register_audited("csv_imported", CsvImported, "csv.imported",
                 lambda event: (ImportTarget(), {}, event.summary), lambda event: EVERY_SCORE)
