"""Settings admins change at run time, with their defaults."""
from flask import g
from sqlalchemy import select

from .database import upsert
from .extensions import db
from .models import Setting

DEFAULTS = {
    # Members must confirm their email address before proposing, voting or commenting.
    "require_confirmation": "0",
    # A new member's first idea waits for staff approval before anyone else sees it.
    "approve_first_idea": "0",
    # Branding (ideas.branding): the name in pages and emails ("" = SITE_NAME from the environment),
    # an accent colour "#rrggbb" ("" = the stylesheet's own), the welcome text above the board as
    # typed and as sanitised HTML.
    "site_name": "",
    "accent_colour": "",
    "welcome_markdown": "",
    "welcome_html": "",
    # The uploaded logo as "<sha256>.<png|jpg|svg>" ("" = none); its bytes are a SiteAsset row.
    "logo": "",
    # Access (ideas.access): only signed-in members see anything; who may sign up: "open",
    # "domains" (addresses at `allowed_domains`, one a line) or "invitation"; invitations always work.
    "private_mode": "0",
    "signup_mode": "open",
    "allowed_domains": "",
    # Webhooks may post to private, loopback and link-local addresses (an intranet tool).
    "allow_private_webhooks": "0",
    # The events some enabled webhook endpoint listens for, space-separated, stored by ideas.webhooks
    # whenever an endpoint changes, so an event nobody listens for reads no endpoint. "*": not
    # known yet (a new site, or one from before this setting), learnt on the first event.
    "webhook_events": "*",
    # Single sign-on (ideas.sso): the OpenID Connect provider as an admin saved it ("1" in
    # oidc_saved; until then OIDC_* from the environment), the name its button shows ("" = a
    # generic one), and whether members must sign in through it (staff keep passwords and codes).
    # The client secret is never shown back.
    "oidc_saved": "0",
    "oidc_issuer": "",
    "oidc_client_id": "",
    "oidc_client_secret": "",
    "oidc_label": "",
    "sso_only": "0",
    # The priority score's weights (ideas.priority): decimals as typed, effort the power it divides by.
    "priority_votes": "1",
    "priority_importance": "1",
    "priority_revenue": "1",
    "priority_impact": "1",
    "priority_effort": "1",
    # What the main board (ideas.boards) is called once other boards exist ("" = "General").
    "main_board_name": "",
    # Who may see each board, as JSON [[id, access, [segment ids], [company ids]], …], rewritten by
    # ideas.board_access whenever a board changes ("" = the site has no board but the main one).
    "board_access": "",
    # The statuses admins defined (ideas.workflow), as JSON ("" = the six default ones).
    "statuses": "",
    # The days within which the team promises to answer every idea, which the accountability page
    # measures (ideas.accountability); "" = no promise.
    "answer_promise_days": "",
}


def get_setting(key: str) -> str:
    """The stored value of `key`, or its default, from this application context's snapshot."""
    return settings_snapshot()[key]


def get_settings(*keys: str) -> dict[str, str]:
    """The stored values (or defaults) of `keys`, in one query, as a dict."""
    stored = dict(db.session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())
    return {key: stored.get(key, DEFAULTS[key]) for key in keys}


def settings_snapshot() -> dict[str, str]:
    """Every setting (stored, else default), read once per application context: what every page or
    email needs (private mode, branding) costs one query. Stored changes are seen from the next one."""
    if "site_settings" not in g:
        stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
        g.site_settings = {key: stored.get(key, default) for key, default in DEFAULTS.items()}
    return g.site_settings


def set_setting(key: str, value: str) -> None:
    """Store `value` for `key`."""
    if key not in DEFAULTS:
        raise KeyError(key)
    # One statement, so two requests storing the same new key at once cannot collide.
    upsert(Setting, ["key"], dict(key=key, value=value), dict(value=value))
    g.pop("site_settings", None)


def confirmation_required() -> bool:
    """True when unconfirmed members may not propose, vote or comment."""
    return get_setting("require_confirmation") == "1"
