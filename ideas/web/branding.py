"""The branding page for admins, and the logo and accent stylesheet it makes, served to every page."""
from flask import Blueprint, Response, abort, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField

from ..branding import (
    LOGO_MAX_BYTES, SITE_NAME_MAX, WELCOME_MAX, current_brand, logo_asset, theme_css, update_branding,
)
from ..errors import InvalidInput
from ..extensions import db
from ..site_settings import settings_snapshot
from .forms import Form, apply_domain_errors
from .responses import done, render_form
from .plumbing import admin_required

bp = Blueprint("branding", __name__)

ONE_YEAR = 365 * 24 * 3600


class BrandingForm(Form):
    # The domain (ideas.branding) names every problem; the form only carries the values.
    site_name = StringField(_l("Site name"), render_kw={"maxlength": SITE_NAME_MAX})
    accent_colour = StringField(_l("Accent colour"), description=_l(
        "# and six hexadecimal digits, like #3151c6. Links and buttons use it, so it must be dark enough "
        "to read on white; the dark theme gets a lighter shade of it. Empty: the standard blue."))
    welcome = TextAreaField(_l("Welcome text above the board"), render_kw={"maxlength": WELCOME_MAX},
                            description=_l("Markdown works: **bold**, _italic_, lists and links."))
    logo = FileField(_l("Logo"), description=_l(
        "A PNG, JPEG or plain SVG image of at most %(size)s KB, shown beside the site's name.",
        size=LOGO_MAX_BYTES // 1024))
    remove_logo = BooleanField(_l("Remove the logo"))


def _upload(field: FileField) -> bytes | None:
    """The uploaded file's bytes (one byte beyond the limit at most), or None when none was chosen."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return upload.stream.read(LOGO_MAX_BYTES + 1)


@bp.route("/admin/branding", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    """The site's name, logo, accent colour and welcome text; each change is kept in the audit log."""
    stored = current_brand()
    settings = settings_snapshot()
    form = BrandingForm(site_name=settings["site_name"], accent_colour=stored.accent,
                        welcome=settings["welcome_markdown"])
    form.site_name.description = _("Shown in every page's header and title and in emails. Empty: “%(name)s”.",
                                   name=current_app.config['SITE_NAME'])
    if form.validate_on_submit():
        try:
            update_branding(current_user, form.site_name.data, form.accent_colour.data, form.welcome.data,
                            logo=_upload(form.logo), remove_logo=form.remove_logo.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("Branding saved."), url_for("branding.settings"))
    return render_form("staff/branding.html", form=form, stored=stored, name_max=SITE_NAME_MAX,
                       welcome_max=WELCOME_MAX)


@bp.get("/branding/logo")
def logo() -> Response:
    """The uploaded logo; its URL carries the file's digest (?v=), so it is cached for a year."""
    asset = logo_asset(settings_snapshot()["logo"])
    if asset is None:
        abort(404)
    response = current_app.response_class(asset.data, mimetype=asset.content_type)
    _cache_for_long(response)
    if asset.content_type == "image/svg+xml":
        # Opened on its own, an SVG is a document: it may draw, never run or fetch anything.
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@bp.get("/branding/theme.css")
def stylesheet() -> Response:
    """The stylesheet that applies the accent colour (?v= changes with it)."""
    accent = settings_snapshot()["accent_colour"]
    if not accent:
        abort(404)
    response = current_app.response_class(theme_css(accent), mimetype="text/css")
    _cache_for_long(response)
    return response


def _cache_for_long(response: Response) -> None:
    if request.args.get("v"):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
