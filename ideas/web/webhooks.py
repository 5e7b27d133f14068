"""Admin pages for webhooks: endpoints, their delivery log, and a button that sends a test.

The rules (valid URLs, events, secrets, who may act) live in ideas/webhooks/endpoints.py.
"""
from collections.abc import Callable

from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from ..errors import InvalidInput
from ..extensions import db
from ..models import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint
from ..webhooks import (
    EVENT_LABELS, SECRET_MAX, URL_MAX, attempt_delivery, create_endpoint, delete_endpoint, deliveries_of,
    queue_test_delivery, set_endpoint_active, update_endpoint,
)
from .forms import Form, apply_domain_errors
from .responses import done, render_form, see_other
from .plumbing import admin_required, page_of

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

DELIVERIES_PER_PAGE = 50


class EndpointForm(Form):
    # The domain (ideas.webhooks) names every problem; the form only carries the values.
    url = StringField(_l("URL"), render_kw={"maxlength": URL_MAX},
                      description=_l("Where to POST the events: an http:// or https:// address."))
    events = SelectMultipleField(
        _l("Events"), choices=[SelectChoice(name, EVENT_LABELS[name]) for name in WEBHOOK_EVENTS],
        validate_choice=False, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    secret = StringField(_l("Signing secret"), render_kw={"maxlength": SECRET_MAX}, description=_l(
        "Leave empty to have a strong secret made for you, or paste one your receiver already uses."))


class EditEndpointForm(EndpointForm):
    secret = StringField(_l("New signing secret"), render_kw={"maxlength": SECRET_MAX},
                         description=_l("Leave empty to keep the current secret."))
    new_secret = BooleanField(_l("Make a new secret (the receiver must then use it)"))
    active = BooleanField(_l("Active: post events to this endpoint"))


def _state_counts() -> dict[int, dict[str, int]]:
    """{endpoint id: {state: number of deliveries}}, in one grouped query."""
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, state, number in db.session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.state, func.count())
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.state)):
        counts.setdefault(endpoint_id, {})[state] = number
    return counts


@bp.get("")
@admin_required
def index() -> str:
    """Every endpoint with its events, whether it is active, and how its deliveries went."""
    endpoints = db.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars().all()
    return render_template("admin/webhooks/index.html", endpoints=endpoints, counts=_state_counts(),
                           labels=EVENT_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    """Add an endpoint."""
    form = EndpointForm()

    def add() -> WebhookEndpoint:
        return create_endpoint(current_user, form.url.data, form.events.data, form.secret.data)
    return _save(form, None, add, _("Endpoint added. Its signing secret is on this page."))


@bp.get("/<id:endpoint_id>")
@admin_required
def show(endpoint_id: int) -> str:
    """One endpoint: its secret, the send-test button, and its delivery log, newest first."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    page = page_of(deliveries_of(endpoint), DELIVERIES_PER_PAGE)
    return render_template("admin/webhooks/show.html", endpoint=endpoint, page=page, labels=EVENT_LABELS)


@bp.route("/<id:endpoint_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(endpoint_id: int) -> ResponseReturnValue:
    """Change an endpoint's URL, events, secret or whether it is active."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EditEndpointForm()
    if request.method == "GET":
        form.url.data, form.events.data = endpoint.url, endpoint.event_names
        form.active.data = endpoint.active

    def change() -> WebhookEndpoint:
        return update_endpoint(current_user, endpoint, form.url.data, form.events.data, form.active.data,
                               form.secret.data, form.new_secret.data)
    return _save(form, endpoint, change, _("Endpoint saved."))


def _save(form: EndpointForm, endpoint: WebhookEndpoint | None, save: Callable[[], WebhookEndpoint],
          saved_message: str) -> ResponseReturnValue:
    """Validate `form` and `save()` it through the domain, then show the endpoint it returns; or
    show the form again (422) with what was typed and each problem the domain named."""
    if form.validate_on_submit():
        try:
            endpoint = save()
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(saved_message, url_for("webhooks.show", endpoint_id=endpoint.id))
    return render_form("admin/webhooks/form.html", form=form, endpoint=endpoint, url_max=URL_MAX,
                       secret_max=SECRET_MAX)


@bp.post("/<id:endpoint_id>/active")
@admin_required
def toggle(endpoint_id: int) -> Response:
    """Disable an endpoint (nothing more is queued for it) or enable it again."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    active = request.form.get("active") == "1"
    set_endpoint_active(current_user, endpoint, active)
    return done(_("Endpoint enabled.") if active else _("Endpoint disabled: no events are sent to it."),
                url_for("webhooks.show", endpoint_id=endpoint.id))


@bp.post("/<id:endpoint_id>/delete")
@admin_required
def delete(endpoint_id: int) -> Response:
    """Delete an endpoint and its delivery log."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    delete_endpoint(current_user, endpoint)
    return done(_("Endpoint deleted."), url_for("webhooks.index"))


@bp.post("/<id:endpoint_id>/test")
@admin_required
def send_test(endpoint_id: int) -> Response:
    """Post a signed `ping` to the endpoint now, the way events go, and show what happened."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    delivery = queue_test_delivery(current_user, endpoint)
    db.session.commit()
    outcome = attempt_delivery(delivery.id)
    if outcome is not None and outcome["state"] == "delivered":
        flash(_("Test delivered: the endpoint answered %(status)s.",
                status=outcome['status_code']), "success")
    else:
        flash(_("Test failed: %(error)s",
                error=outcome['last_error'] if outcome else _("the delivery was removed.")), "error")
    return see_other(url_for("webhooks.show", endpoint_id=endpoint.id))
