"""Coming in without a password, by invitation, and through feed links: one-time sign-in codes,
staff invitations, the admins' access settings, members' personal feed tokens."""

from flask import Blueprint, flash, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectChoice, StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Email, Length

from .. import access, accounts
from ..account_emails import queue_account_email
from ..accounts import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from ..branding import site_name
from ..errors import InvalidInput
from ..extensions import db
from ..i18n import browser_locale
from ..models import Invitation, User
from .auth import address_limit, start_session
from .forms import Form, ActionForm, _strip, apply_domain_errors
from .responses import done, next_url, render_form, see_other
from .plumbing import admin_required, page_of, staff_required

bp = Blueprint("access", __name__)

INVITATIONS_PER_PAGE = 50
# The address a code was asked for, so the page that takes the code need not ask again.
CODE_EMAIL = "sign_in_code_email"
WRONG_CODE = _l("That code is wrong or has expired. Check the email, or ask for a new code.")


def _email_field(label: str | None = None) -> UnboundField:
    return EmailField(label or _l("Email"), [DataRequired(_l("Enter an email address.")),
                                             Length(max=EMAIL_MAX),
                              Email(_l("Enter a valid email address."), check_deliverability=False)],
                      filters=[_strip])


class CodeRequestForm(Form):
    email = _email_field()
    next = HiddenField()


class CodeEntryForm(Form):
    email = _email_field()
    code = StringField(_l("Sign-in code"), [DataRequired(_l("Enter the code from the email.")),
                                            Length(max=20)],
                       filters=[_strip])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class InvitedSignUpForm(Form):
    name = StringField(_l("Name"), [DataRequired(_l("Tell us your name.")), Length(max=NAME_MAX)],
                       filters=[_strip])
    password = PasswordField(_l("Password"), [DataRequired(_l("Choose a password.")),
                                          Length(min=PASSWORD_MIN, max=PASSWORD_MAX)])


class InvitationForm(Form):
    email = _email_field(_l("Their email address"))


class AccessSettingsForm(Form):
    private_mode = BooleanField(_l("Private site: only signed-in members see the board, ideas, roadmap, "
                                "changelog and feeds"))
    signup_mode = RadioField(_l("Who may sign up"), default="open", choices=[
        SelectChoice(value, label) for value, label in access.SIGNUP_MODES.items()])
    allowed_domains = TextAreaField(_l("Allowed email domains"),
                                    description=_l("One a line, like example.com. Used when sign-up is "
                                                   "limited to domains."))


# One-time sign-in codes.

@bp.route("/auth/code", methods=["GET", "POST"])
@address_limit("RATELIMIT_LOGIN")
def request_code() -> ResponseReturnValue:
    """Queue a sign-in code for the worker: the same answer and the same one row whether or not
    the address has an account (the worker looks it up and makes the code)."""
    form = CodeRequestForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        queue_account_email("code", form.email.data)
        db.session.commit()
        session[CODE_EMAIL] = form.email.data
        flash(_("If an account uses that address, we emailed it a sign-in code. "
              "It works once, for 10 minutes."), "info")
        return see_other(url_for("access.enter_code", next=next_url("") or None))
    return render_form("auth/code_request.html", form=form)


@bp.route("/auth/code/enter", methods=["GET", "POST"])
@address_limit("RATELIMIT_LOGIN")
def enter_code() -> ResponseReturnValue:
    """Sign in with the emailed code; every try counts, and the code works once."""
    form = CodeEntryForm(email=session.get(CODE_EMAIL, ""), next=request.args.get("next", ""))
    if form.validate_on_submit():
        member = access.redeem_sign_in_code(form.email.data, form.code.data)
        db.session.commit()  # a wrong try is counted too
        if member is not None:
            start_session(member, remember=form.remember.data)
            return see_other(next_url(url_for("board.index")))
        form.code.errors = list(form.code.errors) + [WRONG_CODE]
    return render_form("auth/code_enter.html", form=form)


# Invitations.

@bp.route("/auth/invitation", methods=["GET", "POST"])
@address_limit("RATELIMIT_SIGNUP")
def accept_invitation() -> ResponseReturnValue:
    """Make an account from an emailed invitation (?token=); the address is the invited one."""
    token = request.args.get("token", "")
    invitation = access.invitation_from_token(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    if current_user.is_authenticated:
        flash(_("You are already signed in."), "info")
        return see_other(url_for("board.index"))
    form = InvitedSignUpForm()
    if form.validate_on_submit():
        try:
            member = access.sign_up_member(form.name.data, invitation.email, form.password.data, invitation)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            accounts.keep_signup_language(member, browser_locale())
            db.session.commit()
            start_session(member)
            flash(_("Welcome to %(site)s!", site=site_name()), "success")
            return see_other(url_for("board.index"))
    return render_form("auth/invitation.html", form=form, invitation=invitation, token=token)


def _invitations_page(form: InvitationForm, status: int = 200) -> tuple[str, int]:
    page = page_of(access.invitations(), INVITATIONS_PER_PAGE)
    return render_template("staff/invitations.html", form=form, page=page, action_form=ActionForm(),
                           rules=access.access_rules()), status


@bp.route("/staff/invitations", methods=["GET", "POST"])
@staff_required
def invitations() -> ResponseReturnValue:
    """Invite someone by email (again, to renew their link), queued for the worker; every
    invitation and its state."""
    form = InvitationForm()
    if request.method == "GET":
        return _invitations_page(form)
    if form.validate_on_submit():
        try:
            invitation = access.invite(current_user, form.email.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            queue_account_email("invite", invitation.email)
            return done(_("We emailed an invitation to %(email)s.", email=invitation.email),
                        url_for("access.invitations"))
    return _invitations_page(form, 422)


@bp.post("/staff/invitations/<id:invitation_id>/revoke")
@staff_required
def revoke_invitation(invitation_id: int) -> Response:
    """Withdraw a pending invitation: its link stops working."""
    invitation = db.get_or_404(Invitation, invitation_id)
    access.revoke_invitation(current_user, invitation)
    return done(_("The invitation to %(email)s is withdrawn.", email=invitation.email),
                url_for("access.invitations"))


# Access settings.

@bp.route("/admin/access", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    """Private mode and who may sign up; each change is kept in the audit log."""
    rules = access.access_rules()
    form = AccessSettingsForm(private_mode=rules.private, signup_mode=rules.signup_mode,
                              allowed_domains="\n".join(rules.allowed_domains))
    if form.validate_on_submit():
        try:
            access.update_access_rules(current_user, form.private_mode.data, form.signup_mode.data,
                                       form.allowed_domains.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("Access settings saved."), url_for("access.settings"))
    return render_form("staff/access_settings.html", form=form)


# Personal feed tokens.

def personal_feed_links(member: User) -> list[tuple[str, str]]:
    """(title, URL) of each site-wide feed with the member's token, for their settings page."""
    token = access.feed_token(member)
    return [(title, url_for(endpoint, token=token, _external=True))
            for endpoint, title in (("feeds.ideas", _("New ideas")), ("feeds.roadmap", _("Roadmap")),
                                    ("feeds.changelog", _("Changelog")))]


@bp.post("/account/feed-token")
@login_required
def regenerate_feed_token() -> Response:
    """Make new personal feed links; the old ones stop working."""
    access.regenerate_feed_token(current_user)
    return done(_("Your feed links are new; the old ones no longer work."),
                url_for("account.settings") + "#feeds")
