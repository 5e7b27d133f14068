"""Signing up, in and out; forgotten passwords; confirming an address."""
import math
import smtplib

from flask import Blueprint, current_app, flash, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts, throttles
from ..access import sign_up_member
from ..errors import InvalidInput, NotAllowed
from ..extensions import address_key, db, limiter
from ..i18n import browser_locale
from ..links import external_url
from ..mail import send_template
from .background import run_in_background
from .forms import (
    ActionForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, SignUpForm, apply_domain_errors,
)
from .responses import next_url, render_form, see_other

bp = Blueprint("auth", __name__, url_prefix="/auth")


def address_limit(name):
    """The `name` limit on POSTs, counted per address (forms that create or enter accounts)."""
    return limiter.limit(lambda: current_app.config[name], methods=["POST"], key_func=address_key)


def start_session(member, remember=False):
    """Sign `member` in on a fresh session: nothing kept from before signing in survives, the
    CSRF token among it, so a token or session planted before sign-in is worth nothing after."""
    session.clear()
    login_user(member, remember=remember)


def send_confirmation_email(member):
    """Email the member a link that confirms their address; False when mail is down."""
    link = external_url("auth.confirm", token=accounts.confirmation_token(member))
    return send_account_email(member.email, _l("Confirm your email address"), "confirm", member=member,
                              link=link)


def send_account_email(to, subject, template, **context):
    """Send an account email; a mail server that is down is logged, never a 500."""
    try:
        send_template(to, subject, template, **context)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("Could not send %r to %s", subject, to)
        return False
    return True


@bp.route("/signup", methods=["GET", "POST"])
@address_limit("RATELIMIT_SIGNUP")
def signup():
    """Create an account, sign in, and send a confirmation link."""
    if current_user.is_authenticated:
        return see_other(url_for("board.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            member = sign_up_member(form.name.data, form.email.data, form.password.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            accounts.keep_signup_language(member, browser_locale())
            db.session.commit()
            start_session(member)
            if send_confirmation_email(member):
                flash(_("Welcome! We sent you a link to confirm your email address."), "success")
            else:
                flash(_("Welcome! We could not send the confirmation email just now; "
                      "use “Send the link again” in a while."), "info")
            return see_other(url_for("board.index"))
    return render_form("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@address_limit("RATELIMIT_LOGIN")
def login():
    """Sign in with email and password; an account guessed at too often pauses (429)."""
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_form("auth/login.html", form=form)
    pause = throttles.sign_in_pause(form.email.data)
    if pause is not None:
        return _paused(form, pause)
    try:
        member = accounts.authenticate(form.email.data, form.password.data)
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


def _paused(form, pause):
    """The form again, 429, saying how long this account's password cannot be tried."""
    minutes = max(1, math.ceil(pause.total_seconds() / 60))
    form.form_errors.append(ngettext(
        "Too many wrong passwords for this account. Try again in %(num)s minute, or sign in with "
        "an emailed code.", "Too many wrong passwords for this account. Try again in %(num)s "
        "minutes, or sign in with an emailed code.", minutes))
    return (render_template("auth/login.html", form=form), 429,
            {"Retry-After": str(math.ceil(pause.total_seconds()))})


@bp.post("/logout")
def logout():
    """Sign out of this browser; nothing of the session is kept."""
    session.clear()
    logout_user()  # after clearing: it leaves the note that the remember cookie must go
    flash(_("You are signed out."), "info")
    return see_other(url_for("board.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@address_limit("RATELIMIT_PASSWORD_RESET")
def forgot_password():
    """Email a reset link; says the same, as fast, whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db.session.commit()  # the job writes on its own session
        run_in_background(email_reset_link, form.email.data)
        flash(_("If an account uses that address, we sent it a link to choose a new password."),
              "info")
        return see_other(url_for("auth.login"))
    return render_form("auth/forgot.html", form=form)


def email_reset_link(email):
    """Email a reset link to the account using `email`, if one does and the address has not had
    RESET_EMAILS_PER_HOUR already (runs after the answer; counted for any address alike)."""
    allowed = throttles.may_send_reset_email(email)
    member = accounts.find_member_by_email(email)
    if member is not None and allowed:
        link = external_url("auth.reset_password", token=accounts.password_reset_token(member))
        send_account_email(member.email, _l("Reset your password"), "reset_password", member=member,
                           link=link)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@address_limit("RATELIMIT_PASSWORD_RESET")
def reset_password(token):
    """Choose a new password from an emailed link; the link works once."""
    member = accounts.member_from_reset_token(token)
    if member is None:
        flash(_("This link has expired or was already used. Ask for a new one."), "error")
        return see_other(url_for("auth.forgot_password"))
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
def confirm(token):
    """Confirm an address from the emailed link: the GET shows one button, the POST confirms."""
    member = accounts.member_from_confirmation_token(token)
    if member is None:
        flash(_("This confirmation link is not valid any more. Ask for a new one."), "error")
        return see_other(url_for("board.index"))
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
def resend_confirmation():
    """Send the confirmation link again."""
    if current_user.is_confirmed:
        flash(_("Your email address is already confirmed."), "info")
    elif send_confirmation_email(current_user):
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    else:
        flash(_("We could not send the email just now. Please try again in a while."), "error")
    return see_other(next_url(url_for("account.settings")))
