"""Priority on pages: the idea page's block that shows its score term by term (staff set impact
and effort there, through ideas/web/idea_staff.py), and the admins' weights (ideas/priority.py
holds the rules)."""
from typing import Any

from flask import Blueprint, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField, StringField

from ..errors import InvalidInput
from ..models import SCALE, Idea
from ..priority import WEIGHT_NAMES, WEIGHTS, checked_weights, current_weights, explain, formula, set_weights
from .forms import Form, apply_domain_errors
from .plumbing import admin_required
from .responses import done, render_form

bp = Blueprint("priority", __name__)


def _scale_choices(unset: Any) -> list[SelectChoice]:
    return [SelectChoice("", unset), *(SelectChoice(str(value), str(value)) for value in SCALE)]


class ImpactEffortForm(Form):
    impact = SelectField(_l("Impact"), choices=_scale_choices(_l("Not set (counts as 3)")),
                         description=_l("1: little for few customers; 5: a great deal for many."))
    effort = SelectField(_l("Effort"), choices=_scale_choices(_l("Not set (counts as 3)")),
                         description=_l("1: an afternoon; 5: a quarter or more."))


class WeightsForm(Form):
    votes = StringField(WEIGHT_NAMES["votes"])
    importance = StringField(WEIGHT_NAMES["importance"],
                             description=_l("Nice to have 1, important 2, critical 3, summed over backers."))
    revenue = StringField(WEIGHT_NAMES["revenue"],
                          description=_l("Each backing company's monthly revenue, counted once."))
    impact = StringField(WEIGHT_NAMES["impact"])
    effort = StringField(WEIGHT_NAMES["effort"],
                         description=_l("0: effort does not count; 1: the value is divided by the effort; "
                                        "up to 3."))


def priority_context(idea: Idea, form: ImpactEffortForm | None = None) -> dict[str, Any]:
    """What the idea page's priority block needs (staff only): the score explained, the form."""
    explanation = explain(idea)
    if form is None:
        form = ImpactEffortForm(formdata=None, impact=str(explanation.impact or ""),
                                effort=str(explanation.effort_set or ""))
    return {"priority": explanation, "impact_effort_form": form}


@bp.route("/admin/priority", methods=["GET", "POST"])
@admin_required
def weights() -> ResponseReturnValue:
    """The weights of the priority score, and the formula they make."""
    weights_now = current_weights()
    form = WeightsForm(data={name: format(getattr(weights_now, name).normalize(), "f") for name in WEIGHTS}
                       if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = set_weights(current_user, {name: form[name].data for name in WEIGHTS})
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            message = _("Weights saved; every idea's priority is recomputed in a moment.") if changed \
                else _("The weights are unchanged.")
            return done(message, url_for("priority.weights"))
    try:
        shown = checked_weights({name: form[name].data for name in WEIGHTS})
    except InvalidInput:
        shown = weights_now
    return render_form("staff/priority.html", form=form, formula=formula(shown))
