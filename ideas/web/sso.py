"""Signing in through the company's OpenID Connect provider: the button's journey out and back,
linking an identity from the account page, and the admins' set-up page.

The provider sends the browser back with a GET (the spec's redirect): the session cookie is
SameSite=Lax, so it travels with that top-level navigation and carries the `Pending` sign-in
(state, nonce, PKCE verifier) that proves the answer belongs to this browser. Any failure answers a
page that says what went wrong in plain words, logs the reason for the admin, and writes nothing.
"""
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length

from .. import oidc, sso
from ..errors import InvalidInput
from ..extensions import db
from ..links import external_url
from ..models import Identity, User
from .auth import address_limit, start_session
from .forms import ActionForm, Form, _no_nul, _strip, apply_domain_errors
from .plumbing import admin_required
from .responses import done, render_form, safe_next, see_other
from .security import allow_form_action

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)

PENDING = "sso_pending"
# Closed while members must sign in through the provider: accounts come from it.
SIGN_UP_ENDPOINTS = frozenset({"auth.signup", "access.accept_invitation"})

_CHECKS = _l("Nothing was changed. Start again from the sign-in page; if it keeps happening, tell the "
             "site's team.")
REASONS = {
    "state": _l("This sign-in was not started in this browser, was started again in another tab, or "
                "took too long."),
    "denied": _l("The sign-in was cancelled at %(provider)s, so you are not signed in."),
    "provider": _l("%(provider)s could not sign you in and sent us an error instead."),
    "unreachable": _l("We could not reach %(provider)s just now. Wait a minute and try again."),
    "discovery": _l("Signing in with %(provider)s is not set up correctly on this site. Sign in "
                    "another way for now; the site's team can see what is wrong in its log."),
    "exchange": _l("%(provider)s did not confirm this sign-in when we checked it with them."),
    "signature": _l("The answer from %(provider)s was not signed by it, so we did not trust it."),
    "issuer": _l("The answer came from somewhere other than %(provider)s, so we did not trust it."),
    "audience": _l("The answer from %(provider)s was meant for another site, not this one."),
    "nonce": _l("The answer from %(provider)s belongs to another sign-in than the one this browser "
                "started."),
    "token": _l("The answer from %(provider)s was incomplete, so we could not use it."),
    "expired": _l("The answer from %(provider)s had already expired when it reached us. Check that your "
                  "device's clock is right."),
    "not_set_up": _l("Signing in with another service is not set up on this site."),
}


class SsoSettingsForm(Form):
    issuer = StringField(_l("Provider address (issuer)"), [Length(max=sso.FIELD_MAX), _no_nul],
                         filters=[_strip],
                         description=_l("For example https://login.example.com or "
                                        "https://accounts.google.com. Leave empty to turn single sign-on "
                                        "off."))
    client_id = StringField(_l("Client id"), [Length(max=sso.FIELD_MAX), _no_nul], filters=[_strip])
    client_secret = PasswordField(_l("Client secret"), [Length(max=sso.FIELD_MAX), _no_nul],
                                  description=_l("Kept on the server and never shown again."))
    label = StringField(_l("Name on the sign-in button"), [Length(max=sso.LABEL_MAX), _no_nul],
                        filters=[_strip], description=_l("For example “Acme account”."))
    sso_only = BooleanField(_l("Members sign in only through this provider (staff keep their password "
                               "and emailed codes, so a broken provider cannot lock the team out)"))


@bp.before_app_request
def close_sign_up_when_sso_only() -> ResponseReturnValue | None:
    """While members sign in only through the provider, nobody makes an account with a password."""
    if request.endpoint in SIGN_UP_ENDPOINTS and sso.sso_only():
        return render_template("sso/sign_up_closed.html", label=sso.provider_label()), 403
    return None


@bp.app_template_global()
def sso_button() -> dict[str, Any] | None:
    """What the sign-in page's button needs, or None when no provider is set up."""
    setup = sso.provider_setup()
    if not setup.configured:
        return None
    issuer = urlsplit(setup.issuer)
    allow_form_action(f"{issuer.scheme}://{issuer.netloc}")  # the button's POST is answered with a 303 there
    return {"label": sso.provider_label(setup), "sso_only": setup.sso_only}


@bp.app_template_global()
def sso_identities(member: User) -> list[Identity]:
    """The member's linked identities, for the account page."""
    return sso.identities_of(member)


@bp.post("/auth/sso/start")
@address_limit("RATELIMIT_LOGIN")
def start() -> ResponseReturnValue:
    """Leave for the provider; `next` (on this site only) is where to land afterwards."""
    return _leave(next_url=safe_next(request.form.get("next"), ""), link_member_id=None)


@bp.post("/account/sso/link")
@login_required
def link() -> ResponseReturnValue:
    """Leave for the provider to link the identity there to this account (staff link theirs so)."""
    return _leave(next_url="", link_member_id=current_user.id)


def _leave(next_url: str, link_member_id: int | None) -> ResponseReturnValue:
    setup = sso.provider_setup()
    if not setup.configured:
        return _failed("not_set_up", "no provider is set up", setup)
    try:
        url, pending = oidc.begin(setup.provider, external_url("sso.callback"))
    except oidc.SignInFailed as failure:
        return _failed(failure.reason, failure.detail, setup)
    session[PENDING] = {**pending.as_dict(), "next": next_url, "link": link_member_id}
    return see_other(url)


@bp.get("/auth/sso/callback")
def callback() -> ResponseReturnValue:
    """Where the provider sends the browser back: verify its answer, then sign in (or link)."""
    kept = session.pop(PENDING, None)
    setup = sso.provider_setup()
    pending = oidc.Pending.from_dict(kept)
    if pending is None:
        return _failed("state", "no sign-in was under way in this browser", setup)
    if not setup.configured:
        return _failed("not_set_up", "the provider was removed during the sign-in", setup)
    try:
        identity = oidc.finish(setup.provider, pending, request.args.to_dict())
    except oidc.SignInFailed as failure:
        return _failed(failure.reason, failure.detail, setup)
    try:
        if kept.get("link") is not None:
            return _link(identity, kept["link"])
        member = sso.sign_in_with(identity)
    except sso.SignInRefused as refusal:
        return _refused(refusal, identity)
    db.session.commit()
    log.info("Single sign-on: member %s signed in as %s at %s", member.id, identity.subject, identity.issuer)
    start_session(member, through_sso=True)
    return see_other(kept.get("next") or url_for("board.index"))


def _link(identity: oidc.VerifiedIdentity, member_id: int) -> Response:
    """Link the identity to the member who asked, if that member is still the one signed in."""
    if not current_user.is_authenticated or current_user.id != member_id:
        raise sso.SignInRefused("link_session", _("You were signed out (or signed in as someone else) "
                                                  "while linking. Sign in and try again."))
    sso.link_identity(current_user, identity)
    db.session.commit()
    log.info("Single sign-on: member %s linked %s at %s", member_id, identity.subject, identity.issuer)
    flash(_("Your account is linked: you can now sign in with %(provider)s.", provider=sso.provider_label()),
          "success")
    return see_other(url_for("account.settings", _anchor="sso"))


def _failed(reason: str, detail: str, setup: sso.ProviderSetup) -> tuple[str, int]:
    """The answer could not be used: say why in plain words, log why for the admin."""
    db.session.rollback()
    log.warning("Single sign-on failed (%s): %s [issuer %s]", reason, detail, setup.issuer or "-")
    message = str(REASONS.get(reason, REASONS["token"])) % {"provider": sso.provider_label(setup)}
    status = 502 if reason in ("unreachable", "discovery") else 400
    return render_template("sso/failed.html", message=message, checks=_CHECKS,
                           can_retry=setup.configured), status


def _refused(refusal: sso.SignInRefused, identity: oidc.VerifiedIdentity) -> tuple[str, int]:
    """A verified identity that may not sign in here: the rule's own words, and the reason logged."""
    db.session.rollback()
    log.warning("Single sign-on refused (%s): subject %s at %s, email %s", refusal.reason, identity.subject,
                identity.issuer, identity.email or "-")
    template = "sso/unconfirmed.html" if isinstance(refusal, sso.AddressUnconfirmed) else "sso/refused.html"
    return render_template(template, message=refusal.message, label=sso.provider_label()), 403


@bp.post("/account/sso/<id:identity_id>/unlink")
@login_required
def unlink(identity_id: int) -> Response:
    """Stop an identity from signing in to this account."""
    if not sso.unlink_identity(current_user, identity_id):
        abort(404)
    return done(_("That sign-in is unlinked from your account."), url_for("account.settings", _anchor="sso"))


@bp.route("/admin/sso", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    """The provider members sign in with; the secret is kept, never shown back. Saving checks
    that the provider answers with its discovery document."""
    setup = sso.provider_setup()
    form = SsoSettingsForm(issuer=setup.issuer, client_id=setup.client_id, label=setup.label,
                           sso_only=setup.sso_only)
    if setup.has_secret:
        form.client_secret.description = _("A secret is stored: it is never shown again. Leave this empty "
                                           "to keep it.")
    if form.validate_on_submit():
        try:
            _check_provider(form.issuer.data)
            sso.save_provider_setup(current_user, form.issuer.data, form.client_id.data,
                                    form.client_secret.data, form.label.data, form.sso_only.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            flash(_("Single sign-on settings saved."), "success")
            return see_other(url_for("sso.settings"))
    return render_form("sso/settings.html", form=form, setup=setup,
                       redirect_uri=external_url("sso.callback"), action_form=ActionForm())


def _check_provider(issuer: str) -> None:
    """Refuse an issuer whose discovery document cannot be read (or names another issuer)."""
    if not issuer or not oidc.issuer_shape_ok(issuer):
        return  # nothing to check, or the rule's own message says what is wrong
    try:
        oidc.discover(issuer)
    except oidc.SignInFailed as failure:
        raise InvalidInput(_("Please correct the single sign-on settings."), {"issuer": _(
            "We could not read this provider's discovery document: %(detail)s", detail=failure.detail)}
        ) from None
