"""Signing in from the company's product: the address the product sends its customers to with a
signed token, and the admins' page (secrets, the token's format, examples, a test box).

The product sends the browser here with a GET (a link or a redirect), so the token arrives in the
query string; a sign-in answers 303 to the page asked for, so it leaves the address bar at once.
A token that cannot be trusted answers a page that says why in plain words and logs the reason for
the admins, and writes nothing; one that is sound but refused by the rules (a team account, an
unconfirmed address…) is spent all the same, and changes no account. The rules are
ideas/product_tokens.py (the token) and ideas/product_sign_in.py (whom it signs in); the pages they
share with OpenID Connect are templates/sso/.
"""
import logging

from flask import Blueprint, current_app, flash, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .. import product_tokens, sso
from ..database import writing
from ..errors import Conflict
from ..extensions import db, limiter
from ..links import base_url, external_url
from ..models import ProductSecret
from ..product_sign_in import judge_token, sign_in_with_token
from .auth import start_session
from .forms import ActionForm, Form, _no_nul, _strip
from .plumbing import address_key, admin_required
from .product_sign_in_examples import SECRET_VARIABLE, examples
from .responses import safe_next, see_other

bp = Blueprint("product_sign_in", __name__)
log = logging.getLogger(__name__)

CHECKS = _l("Nothing was changed. Go back to the app you came from and follow its link to this site "
            "again; if it keeps happening, tell the site's team.")
# What went wrong, in the customer's words; the exact detail goes to the log.
REASONS = {
    "missing": _l("The link you followed did not carry the details needed to sign you in."),
    "malformed": _l("The sign-in link was damaged or cut short (perhaps when it was copied), so we could "
                    "not read it."),
    "algorithm": _l("The sign-in link was not signed the way this site expects, so we did not trust it."),
    "unknown_key": _l("The sign-in link was signed with a key this site does not accept (any more), so "
                      "we did not trust it."),
    "signature": _l("The sign-in link was changed after it was made, or was not made by the app you came "
                    "from, so we did not trust it."),
    "expired": _l("The sign-in link has expired: such links last only a few minutes."),
    "not_yet_valid": _l("The sign-in link is dated in the future: the clocks of this site and of the app "
                        "you came from disagree."),
    "audience": _l("The sign-in link was made for another site, not this one."),
    "lifetime": _l("The sign-in link was made to last longer than this site allows, so we did not "
                   "trust it."),
    "claims": _l("The sign-in link lacks details about you that we need (such as your email address), "
                 "or has them in a form we cannot read."),
    "company": _l("The sign-in link describes your company in a form this site cannot read."),
    "reused": _l("This sign-in link was already used: each one works only once."),
    "not_set_up": _l("Signing in from another app is not set up on this site."),
}
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
Page = tuple[str, int, dict[str, str]]


class TokenCheckForm(Form):
    token = TextAreaField(_l("Token"), [DataRequired(_l("Paste a token to check.")),
                                        Length(max=product_tokens.TOKEN_MAX), _no_nul],
                          filters=[_strip], render_kw={"spellcheck": "false", "autocomplete": "off",
                                                       "rows": 4, "dir": "ltr"})


@bp.get("/auth/product")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=address_key)
def sign_in() -> ResponseReturnValue:
    """Check the product's token, spend it, sign its customer in and go on to `next` (on this site
    only). Already signed in as that member: just go on."""
    try:
        claims = product_tokens.read_token(request.args.get("token"))
    except product_tokens.TokenRejected as rejected:
        return _failed(rejected)
    problem = _spend_and_sign_in(claims)
    if isinstance(problem, product_tokens.TokenRejected):
        return _failed(problem, claims)
    if problem is not None:
        return _refused(problem, claims)
    return see_other(safe_next(request.args.get("next"), url_for("board.index")))


def _spend_and_sign_in(
        claims: product_tokens.ProductClaims) -> product_tokens.TokenRejected | sso.SignInRefused | None:
    """Spend the token and sign its member in, holding SQLite's write lock from the first statement
    (the checks before only read); what stopped it, if anything. The answer is drawn afterwards,
    outside the lock."""
    db.session.commit()
    with writing():
        try:
            member = sign_in_with_token(claims)
        except product_tokens.TokenRejected as rejected:
            db.session.rollback()
            return rejected
        except sso.SignInRefused as refusal:
            db.session.commit()  # the token stays spent; its account changes were undone
            return refusal
        db.session.commit()
        log.info("Product sign-in: member %s signed in as %s (key %s)", member.id, claims.subject, claims.kid)
        if not (current_user.is_authenticated and current_user.id == member.id):
            start_session(member, through_sso=True)
    return None


def _failed(rejected: product_tokens.TokenRejected,
            claims: product_tokens.ProductClaims | None = None) -> Page:
    """The token could not be used: say why in plain words, log why for the admins."""
    db.session.rollback()
    who = f"sub {claims.subject}, key {claims.kid}" if claims else "unverified"
    log.warning("Product sign-in failed (%s): %s [%s]", rejected.reason, rejected.detail, who)
    return render_template("sso/failed.html", message=REASONS[rejected.reason], checks=CHECKS,
                           can_retry=False), 400, PRIVATE


def _refused(refusal: sso.SignInRefused, claims: product_tokens.ProductClaims) -> Page:
    """A sound token the rules refuse: their own words, and the reason logged."""
    log.warning("Product sign-in refused (%s): sub %s, email %s (key %s)", refusal.reason, claims.subject,
                claims.email, claims.kid)
    template = ("product_sign_in/unconfirmed.html" if isinstance(refusal, sso.AddressUnconfirmed)
                else "sso/refused.html")
    return render_template(template, message=refusal.message), 403, PRIVATE


# The admins' page.

def _page(status: int = 200, **context: object) -> tuple[str, int]:
    """The admin page: secrets, the format, the examples and the test box."""
    secrets = db.session.execute(product_tokens.secrets_list()).scalars().all()
    live = [row for row in secrets if row.live]
    endpoint = external_url("product_sign_in.sign_in")
    context.setdefault("check_form", TokenCheckForm(formdata=None))
    return render_template(
        "product_sign_in/settings.html", secrets=secrets, can_generate=len(live) < product_tokens.LIVE_MAX,
        audience=base_url(), endpoint=endpoint, action_form=ActionForm(), limits=product_tokens,
        reasons=REASONS, secret_variable=SECRET_VARIABLE,
        examples=examples(base_url(), endpoint, live[0].kid if live else "YOUR-KEY-ID"), **context), status


@bp.get("/admin/product-sign-in")
@admin_required
def settings() -> ResponseReturnValue:
    """How the product signs its customers in: the live secrets, the token format, examples."""
    return _page()


@bp.post("/admin/product-sign-in/secrets")
@admin_required
def generate() -> ResponseReturnValue:
    """Make a secret and show it, once: answered here, never through the session or a redirect."""
    try:
        row, value = product_tokens.generate_secret(current_user)
    except Conflict as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return see_other(url_for("product_sign_in.settings"))
    db.session.commit()
    response = make_response(render_template("product_sign_in/secret_created.html", row=row, value=value))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/product-sign-in/secrets/<id:secret_id>/retire")
@admin_required
def retire(secret_id: int) -> Response:
    """Stop accepting tokens signed with one secret."""
    row = db.get_or_404(ProductSecret, secret_id)
    try:
        product_tokens.retire_secret(current_user, row)
    except Conflict as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        db.session.commit()
        flash(_("The secret %(kid)s is retired: tokens signed with it are refused from now on.", kid=row.kid),
              "success")
    return see_other(url_for("product_sign_in.settings", _anchor="secrets"))


@bp.post("/admin/product-sign-in/check")
@admin_required
def check() -> ResponseReturnValue:
    """The test box: what the sign-in would make of a token, without spending it or signing in."""
    form = TokenCheckForm()
    if not form.validate_on_submit():
        return _page(422, check_form=form)
    return _page(check_form=form, report=judge_token(form.token.data))
