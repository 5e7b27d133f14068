"""Pages for the product team. Every view checks the role on the server."""
from functools import wraps

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..site_settings import get_setting, set_setting
from .forms import SiteSettingsForm
from .responses import see_other

bp = Blueprint("staff", __name__)

MEMBERS_PER_PAGE = 50


def role_required(allowed):
    """A view for members whose role passes `allowed(member)`; others get 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


staff_required = role_required(lambda member: member.is_staff)
admin_required = role_required(lambda member: member.is_admin)


@bp.get("/staff/members")
@staff_required
def members():
    """Members with their role and whether they confirmed their address; unconfirmed first."""
    unconfirmed_only = request.args.get("unconfirmed") == "1"
    statement = select(User).order_by(User.email_confirmed_at.is_not(None), User.created_at.desc())
    if unconfirmed_only:
        statement = statement.where(User.email_confirmed_at.is_(None))
    page = db.paginate(statement, per_page=MEMBERS_PER_PAGE, error_out=False)
    return render_template("staff/members.html", page=page, unconfirmed_only=unconfirmed_only)


@bp.route("/admin/settings", methods=["GET", "POST"])
@admin_required
def site_settings():
    """Site-wide rules admins choose."""
    form = SiteSettingsForm()
    if request.method == "GET":
        form.require_confirmation.data = get_setting("require_confirmation") == "1"
    if form.validate_on_submit():
        set_setting("require_confirmation", "1" if form.require_confirmation.data else "0")
        db.session.commit()
        flash("Settings saved.", "success")
        return see_other(url_for("staff.site_settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("staff/settings.html", form=form), status
