"""A member's own pages: settings and activity."""
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from flask import Blueprint, abort, current_app, flash, g, make_response, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from flask_babel import gettext as _, lazy_gettext as _l, refresh
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length
from sqlalchemy import Select
from werkzeug.wrappers import Response

from .. import accounts, handles, signins
from ..api_keys import NAME_MAX as KEY_NAME_MAX, api_keys_of, create_api_key, revoke_api_key
from ..board import ideas_by
from ..database import note_after_answer
from ..errors import InvalidInput
from ..extensions import db
from ..following import followed_ideas
from ..i18n import LOCALE_NAMES
from ..models import ApiKey, Idea, utcnow
from ..since_last_visit import changes_since, note_activity_seen, visit_began_after
from ..voting import backed_ideas
from .forms import (
    ActionForm, ChangePasswordForm, Form, HandleForm, NameForm, NotificationSettingsForm, _no_nul, _strip,
    apply_domain_errors,
)
from .plumbing import ID_MAX as MAX_ID
from .auth import start_session
from .responses import done, render_form, see_other

bp = Blueprint("account", __name__, url_prefix="/account")
log = logging.getLogger(__name__)

TIMEZONES = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc/"))

ACTIVITY_LIMIT = 100


class ApiKeyForm(Form):
    """Name a new personal API key. Lives here: only the settings page uses it."""

    name = StringField(_l("Key name"), [DataRequired(_l("Name the key.")), Length(max=KEY_NAME_MAX), _no_nul],
                       filters=[_strip], description=_l("What will use it, e.g. “Support tool”."))


class LanguageForm(Form):
    """The language of pages and emails; empty follows the browser."""

    locale = RadioField(_l("Language"), default="", choices=[
        SelectChoice("", _l("The browser's language")),
        *(SelectChoice(code, name) for code, name in LOCALE_NAMES.items()),
    ])


def _settings_page(name_form: NameForm | None = None, password_form: ChangePasswordForm | None = None,
                   status: int = 200, api_key_form: ApiKeyForm | None = None,
                   language_form: LanguageForm | None = None,
                   handle_form: HandleForm | None = None) -> tuple[str, int]:
    return render_template(
        "account/settings.html",
        handle_form=handle_form or HandleForm(handle=current_user.handle),
        language_form=language_form or LanguageForm(locale=current_user.locale or ""),
        name_form=name_form or NameForm(name=current_user.name),
        password_form=password_form or ChangePasswordForm(),
        action_form=ActionForm(),
        api_key_form=api_key_form or ApiKeyForm(formdata=None),
        api_keys=db.session.execute(api_keys_of(current_user)).scalars().all(),
        # This browser first, then the others, the most recently used first.
        signed_in_sessions=sorted(signins.sessions_of(current_user),
                                  key=lambda row: row.id != g.signed_in_session_id),
        this_session_id=g.signed_in_session_id,
        device_name=signins.device_name,
    ), status


@bp.get("/settings")
@login_required
def settings() -> tuple[str, int]:
    """Name, password and email confirmation."""
    return _settings_page()


@bp.post("/name")
@login_required
def change_name() -> ResponseReturnValue:
    """Change the display name."""
    form = NameForm()
    if form.validate_on_submit():
        accounts.change_name(current_user, form.name.data)
        return done(_("Your name is saved."), url_for("account.settings"))
    return _settings_page(name_form=form, status=422)


@bp.post("/handle")
@login_required
def change_handle() -> ResponseReturnValue:
    """Change the @handle others mention the member by."""
    form = HandleForm()
    if form.validate_on_submit():
        try:
            handles.change_handle(current_user, form.handle.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            return done(_("Your handle is saved."), url_for("account.settings", _anchor="handle"))
    return _settings_page(handle_form=form, status=422)


@bp.post("/language")
@login_required
def change_language() -> ResponseReturnValue:
    """Choose the language of pages and emails, or follow the browser again."""
    form = LanguageForm()
    if form.validate_on_submit():
        current_user.locale = form.locale.data or None
        db.session.commit()
        refresh()  # this request chose its language already; the message speaks the new one
        flash(_("Your language is saved."), "success")
        return see_other(url_for("account.settings"))
    return _settings_page(language_form=form, status=422)


@bp.post("/password")
@login_required
def change_password() -> ResponseReturnValue:
    """Change the password; every other session and remember-me cookie stops working."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            # Every session ended with the old password; this browser goes on in a new one.
            start_session(current_user._get_current_object(), remember=_remembered())
            flash(_("Your password is changed; other sessions were signed out."), "success")
            return see_other(url_for("account.settings"))
    return _settings_page(password_form=form, status=422)


def _remembered() -> bool:
    """Whether this browser's session was a "Remember me" one (read before it ends)."""
    return bool(getattr(g, "signed_in_remember", False))


@bp.post("/sessions/<id:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    """Sign one of my browsers out (this one too, though the page offers "Sign out" for that)."""
    if not signins.end(current_user, session_id):
        abort(404)
    db.session.commit()
    if session_id == g.signed_in_session_id:
        return _signed_out(_("You are signed out."))
    flash(_("That browser is signed out."), "success")
    return see_other(url_for("account.settings", _anchor="sessions"))


@bp.post("/sessions/end-all")
@login_required
def end_all_sessions() -> Response:
    """Sign out everywhere, this browser included."""
    signins.end_all(current_user)
    db.session.commit()
    return _signed_out(_("You are signed out everywhere."))


def _signed_out(message: str) -> Response:
    """This browser's session is over: forget it here too, and say so on the sign-in page."""
    session.clear()
    logout_user()
    flash(message, "info")
    return see_other(url_for("auth.login"))


@bp.get("/activity")
@login_required
def activity() -> str:
    """My ideas, the ideas I backed, the ideas I follow, each marked with what changed on it since
    my last visit here."""
    def load(statement: Select[Idea]) -> Sequence[Idea]:
        return db.session.execute(statement.limit(ACTIVITY_LIMIT)).scalars().all()

    # Taken before anything is read: a change made while the page renders shows again next time
    # rather than never.
    visited_at = utcnow()
    lists = dict(my_ideas=load(ideas_by(current_user)), backed=load(backed_ideas(current_user)),
                 followed=load(followed_ideas(current_user)))
    last_visit = _visit_began_after(visited_at)
    shown = {idea.id for ideas in lists.values() for idea in ideas}
    page = render_template("account/activity.html", changes=changes_since(shown, last_visit),
                           last_visit=last_visit, **lists)
    # A GET may write this: it decides only which marks this page shows this member next time.
    member_id = current_user.id
    note_after_answer(lambda: note_activity_seen(member_id, visited_at),
                      f"that member {member_id} saw their activity")
    return page


def _visit_began_after(now: datetime) -> datetime | None:
    """The moment this visit's marks count from, kept in the browser's session between its views."""
    kept = session.get("activity_since")
    gap = timedelta(minutes=current_app.config["ACTIVITY_VISIT_GAP_MINUTES"])
    since = visit_began_after(current_user.activity_seen_at,
                              datetime.fromisoformat(kept) if kept else None, now, gap)
    session["activity_since"] = since.isoformat() if since else ""
    return since


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> ResponseReturnValue:
    """Email at once, daily or never; the digest's time zone."""
    form = NotificationSettingsForm(email_mode=current_user.email_mode,
                                    timezone=current_user.timezone or "")
    form.set_timezones(TIMEZONES)
    if form.validate_on_submit():
        current_user.email_mode = form.email_mode.data
        current_user.timezone = form.timezone.data or None
        return done(_("Your email settings are saved."), url_for("account.notification_settings"))
    return render_form("account/notifications.html", form=form)


@bp.post("/api-keys")
@login_required
def create_key() -> ResponseReturnValue:
    """Make a personal API key and show it, once: only its hash is kept."""
    form = ApiKeyForm()
    if form.validate_on_submit():
        try:
            key, token = create_api_key(current_user, form.name.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            # Answered here rather than after a redirect: the key must never travel in the session.
            response = make_response(render_template("account/api_key_created.html", key=key, token=token))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _settings_page(api_key_form=form, status=422)


@bp.post("/api-keys/<id:key_id>/revoke")
@login_required
def revoke_key(key_id: int) -> Response:
    """Revoke one of my keys: it stops working at once."""
    key = db.session.get(ApiKey, key_id) if key_id <= MAX_ID else None
    if key is None or key.user_id != current_user.id or key.revoked_at is not None:
        abort(404)
    revoke_api_key(current_user, key)
    return done(_("The key “%(name)s” is revoked.", name=key.name),
                url_for("account.settings", _anchor="api-keys"))
