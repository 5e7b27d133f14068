"""Signing up, in and out; forgotten passwords; confirming an address."""
import math
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, g, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, ngettext
from flask_limiter import RouteLimit
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from .. import accounts, signins, sso, throttles
from ..account_emails import queue_account_email
from ..access import sign_up_member
from ..database import reads_first, writing
from ..errors import InvalidInput, NotAllowed
from ..extensions import db, limiter
from ..i18n import browser_locale
from ..models import User
from .forms import (
    ActionForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, SignUpForm, apply_domain_errors,
)
from .plumbing import address_key
from .responses import next_url, render_form, see_other

bp = Blueprint("auth", __name__, url_prefix="/auth")


def address_limit(name: str) -> RouteLimit:
    """The `name` limit on POSTs, counted per address (forms that create or enter accounts)."""
    return limiter.limit(lambda: current_app.config[name], methods=["POST"], key_func=address_key)


def start_session(member: User, remember: bool = False, through_sso: bool = False) -> None:
    """Sign `member` in on a fresh session of its own (a row in ideas.signins, listed on the account
    page): nothing kept from before signing in survives, the CSRF token among it, so a token or
    session planted before sign-in is worth nothing after. Commits the new session.

    Every way in but single sign-on (password, code, reset link, invitation) passes here, so this
    is where a site whose members sign in only through its provider refuses them (ideas.sso); a
    signed-in member renewing their own session (a changed password) is not signing in."""
    renewing = current_user.is_authenticated and current_user.id == member.id
    if not (through_sso or renewing):
        sso.ensure_may_sign_in_without_sso(member)
    session.clear()
    signins.start(member, remember=remember, user_agent=request.user_agent.string)
    db.session.commit()
    login_user(member, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
@address_limit("RATELIMIT_SIGNUP")
def signup() -> ResponseReturnValue:
    """Create an account, sign in, and queue a confirmation link for the worker."""
    if current_user.is_authenticated:
        return see_other(url_for("board.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            member = sign_up_member(form.name.data, form.email.data, form.password.data,
                                    handle=form.handle.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            accounts.keep_signup_language(member, browser_locale())
            queue_account_email("confirm", member.email)
            db.session.commit()
            start_session(member)
            flash(_("Welcome! We sent you a link to confirm your email address."), "success")
            return see_other(url_for("board.index"))
    return render_form("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@reads_first
@address_limit("RATELIMIT_LOGIN")
def login() -> ResponseReturnValue:
    """Sign in with email and password; an account guessed at too often pauses (429).

    The password is checked before the request takes the write lock (reads_first): argon2id is
    slow on purpose, and on SQLite a burst of sign-ins would otherwise keep every writer waiting."""
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_form("auth/login.html", form=form)
    pause = throttles.sign_in_pause(form.email.data)
    if pause is not None:
        return _paused(form, pause)
    match = accounts.check_password(form.email.data, form.password.data)
    db.session.rollback()  # the reading is done: what follows writes, from a transaction with the lock
    with writing():
        try:
            member = accounts.sign_in_with(match) if match is not None else None
        except NotAllowed as refusal:
            member = None
            form.form_errors.append(refusal.message)
        if member is not None:
            throttles.forget_wrong_passwords(form.email.data)
            db.session.commit()
            start_session(member, remember=form.remember.data)
            return see_other(next_url(url_for("board.index")))
        if not form.form_errors:
            throttles.record_wrong_password(form.email.data)
            db.session.commit()
            form.form_errors.append(_("That email and password do not match an account."))
    return render_form("auth/login.html", form=form)


def _paused(form: LoginForm, pause: timedelta) -> tuple[str, int, dict[str, str]]:
    """The form again, 429, saying how long this account's password cannot be tried."""
    minutes = max(1, math.ceil(pause.total_seconds() / 60))
    form.form_errors.append(ngettext(
        "Too many wrong passwords for this account. Try again in %(num)s minute, or sign in with "
        "an emailed code.", "Too many wrong passwords for this account. Try again in %(num)s "
        "minutes, or sign in with an emailed code.", minutes))
    return (render_template("auth/login.html", form=form), 429,
            {"Retry-After": str(math.ceil(pause.total_seconds()))})


@bp.post("/logout")
def logout() -> Response:
    """Sign out of this browser: its session ends on the server too, so a copy of its cookies is
    worth nothing; nothing of the session is kept."""
    if current_user.is_authenticated:
        signins.end(current_user, g.signed_in_session_id)
        db.session.commit()
    session.clear()
    logout_user()  # after clearing: it leaves the note that the remember cookie must go
    flash(_("You are signed out."), "info")
    return see_other(url_for("board.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@address_limit("RATELIMIT_PASSWORD_RESET")
def forgot_password() -> ResponseReturnValue:
    """Queue a reset link for the worker: the same answer and the same one row whether or not
    the address has an account (the worker looks it up)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        queue_account_email("reset", form.email.data)
        db.session.commit()
        flash(_("If an account uses that address, we sent it a link to choose a new password."),
              "info")
        return see_other(url_for("auth.login"))
    return render_form("auth/forgot.html", form=form)


def _linked_member(member: User | None, refusal: str, elsewhere: str) -> User:
    """The member an emailed link names; a link that names nobody (expired, used, altered) ends
    the request there: it goes `elsewhere`, saying `refusal`."""
    if member is None:
        flash(refusal, "error")
        abort(see_other(elsewhere))
    return member


@bp.route("/reset/<token>", methods=["GET", "POST"])
@address_limit("RATELIMIT_PASSWORD_RESET")
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from an emailed link; the link works once."""
    member = _linked_member(accounts.member_from_reset_token(token),
                            _("This link has expired or was already used. Ask for a new one."),
                            url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(member, form.password.data)
        accounts.confirm_email(member)  # the link proved the member reads this inbox
        throttles.forget_wrong_passwords(member.email)
        db.session.commit()
        start_session(member)
        flash(_("Your password is changed; other sessions were signed out."), "success")
        return see_other(url_for("board.index"))
    return render_form("auth/reset.html", form=form, token=token)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> ResponseReturnValue:
    """Confirm an address from the emailed link: the GET shows one button, the POST confirms."""
    member = _linked_member(accounts.member_from_confirmation_token(token),
                            _("This confirmation link is not valid any more. Ask for a new one."),
                            url_for("board.index"))
    form = ActionForm()
    if form.validate_on_submit():
        accounts.confirm_email(member)
        db.session.commit()
        flash(_("Thank you, your email address is confirmed."), "success")
        return see_other(url_for("board.index"))
    return render_template("auth/confirm.html", form=form, member=member, token=token)


@bp.post("/confirm/resend")
@login_required
@address_limit("RATELIMIT_PASSWORD_RESET")
def resend_confirmation() -> Response:
    """Queue the confirmation link again for the worker."""
    if current_user.is_confirmed:
        flash(_("Your email address is already confirmed."), "info")
    else:
        queue_account_email("confirm", current_user.email)
        db.session.commit()
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return see_other(next_url(url_for("account.settings")))
