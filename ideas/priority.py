"""The priority score: one stored number per idea that the inbox sorts by, combining its demand
(votes, how much it matters to its backers, the revenue of the companies behind it) and the
impact and effort staff set, with the weights an admin chooses. Nothing here knows HTTP.

    value    = votes × W(votes) + importance points × W(importance)
               + revenue at stake ÷ 1,000 × W(revenue) + impact × W(impact)
    priority = value ÷ effort ^ W(effort)

Importance points are 1, 2 and 3 for nice to have, important and critical (ideas.demand); the
revenue at stake counts each backing company's monthly revenue once. Impact and effort not set
count as 3, the middle of their 1–5 scale, so setting them moves an idea up or down from there.
A segment filters the lists; it never changes a score.

Scores are computed by the worker (recompute_due), never in a request: an event whose kind
names a priority scope marks the ideas it touches due (ideas/priority_queue.py), in the
transaction of the change. `explain` computes one idea's score live from the same formula, for
the idea page to show its terms.
"""
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, Table, bindparam, select, update

from . import audit
from .demand import importance_points, revenue_at_stake
from .errors import InvalidInput
from .events import IdeaWeighed, PriorityWeightsChanged, changed_values
from .events.publish import publish
from .extensions import db
from .models import SCALE, Idea, IdeaPriority, User, utcnow
from .priority_queue import start_priorities
from .site_settings import set_setting, settings_snapshot

WEIGHTS = ("votes", "importance", "revenue", "impact", "effort")
WEIGHT_NAMES = {
    "votes": _l("Votes"),
    "importance": _l("Importance points"),
    "revenue": _l("Revenue at stake (per 1,000 a month)"),
    "impact": _l("Impact"),
    "effort": _l("Effort (divides)"),
}
WEIGHT_MAX = Decimal(100)
EFFORT_WEIGHT_MAX = Decimal(3)
UNSET = 3  # impact or effort nobody set counts as the middle of the scale
REVENUE_UNIT = Decimal(1000)
BATCH = 500  # ideas recomputed in one transaction


@dataclass(frozen=True)
class Weights:
    """What each part of the score weighs; `effort` is the power the effort divides by (0: effort
    does not count, 1: the value is divided by the effort)."""

    votes: Decimal = Decimal(1)
    importance: Decimal = Decimal(1)
    revenue: Decimal = Decimal(1)
    impact: Decimal = Decimal(1)
    effort: Decimal = Decimal(1)

    def as_settings(self) -> dict[str, str]:
        return {f"priority_{name}": _plain(getattr(self, name)) for name in WEIGHTS}


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Inputs:
    """What one idea's score is computed from."""

    votes: int
    importance: int
    revenue: Decimal
    impact: int | None
    effort: int | None


@dataclass(frozen=True)
class Term:
    """One part of a score as the idea page shows it: its name, the idea's amount, the weight."""

    name: str
    amount: Decimal
    weight: Decimal
    assumed: bool = False  # impact or effort not set: UNSET counted


@dataclass(frozen=True)
class Explanation:
    """One idea's score computed live, with its terms, and the score the worker stored."""

    score: float
    stored: float
    terms: tuple[Term, ...]
    effort: Term
    impact: int | None
    effort_set: int | None
    computed_at: Any

    @property
    def up_to_date(self) -> bool:
        return math.isclose(self.score, self.stored, abs_tol=0.005)


def score(inputs: Inputs, weights: Weights) -> float:
    """The priority of an idea with these inputs under these weights, to two places."""
    value = (inputs.votes * weights.votes + inputs.importance * weights.importance
             + inputs.revenue / REVENUE_UNIT * weights.revenue
             + (inputs.impact or UNSET) * weights.impact)
    divisor = float(inputs.effort or UNSET) ** float(weights.effort)
    return round(float(value) / divisor, 2)


# The weights admins choose.

def current_weights() -> Weights:
    """The weights as stored (defaults for those never set), from the application context's
    settings (one query for every setting a page reads; storing a weight refreshes them)."""
    stored = settings_snapshot()
    return Weights(**{name: Decimal(stored[f"priority_{name}"]) for name in WEIGHTS})


def formula(weights: Weights) -> str:
    """The formula in words with these weights, as every list sorted by priority shows it."""
    value = _(
        "(votes × %(votes)s + importance points × %(importance)s + revenue at stake ÷ 1,000 × "
        "%(revenue)s + impact × %(impact)s)",
        votes=_plain(weights.votes), importance=_plain(weights.importance),
        revenue=_plain(weights.revenue), impact=_plain(weights.impact))
    if weights.effort == 0:
        return _("Priority = %(value)s", value=value)
    if weights.effort == 1:
        return _("Priority = %(value)s ÷ effort", value=value)
    return _("Priority = %(value)s ÷ effort^%(power)s", value=value, power=_plain(weights.effort))


def set_weights(actor: User, raw: Mapping[str, Any]) -> bool:
    """Store the weights an admin chose (admins only, audited); every score is recomputed by the
    worker. False when nothing changed. InvalidInput names each weight that is not a number in
    range."""
    audit.require_admin(actor)
    chosen = checked_weights(raw)
    before, after = changed_values(current_weights().as_settings(), chosen.as_settings())
    if not after:
        return False
    for key, value in after.items():
        set_setting(key, value)
    publish(PriorityWeightsChanged(actor, before, after))
    return True


def checked_weights(raw: Mapping[str, Any]) -> Weights:
    """Weights from a form or a JSON body: numbers from 0 (effort: up to 3; the others up to 100)."""
    values, problems = {}, {}
    for name in WEIGHTS:
        limit = EFFORT_WEIGHT_MAX if name == "effort" else WEIGHT_MAX
        number = _decimal(raw.get(name))
        if number is None or not 0 <= number <= limit:
            problems[name] = _("Give a number from 0 to %(max)s.", max=_plain(limit))
        else:
            values[name] = number.quantize(Decimal("0.01")).normalize()
    if problems:
        raise InvalidInput(_("Please correct the highlighted fields."), problems)
    return Weights(**values)


def _decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        number = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> str:
    """A weight as typed: 1, 0.5, 2.25 (no exponent, no trailing zeros)."""
    return format(number.normalize(), "f")


# Impact and effort, set by staff on an idea.

def priority_row(idea: Idea) -> IdeaPriority:
    """The idea's priority row (made now if an import left it without one)."""
    row = db.session.get(IdeaPriority, idea.id)
    if row is None:
        start_priorities([idea.id])
        row = db.session.get_one(IdeaPriority, idea.id)
    return row


def set_impact_effort(actor: User, idea: Idea, impact: Any, effort: Any) -> bool:
    """Staff say how much the idea would bring and cost (1–5 each, or not said); audited, the
    score recomputed by the worker. False when nothing changed."""
    audit.require_staff(actor)
    impact, effort = _scale(impact, "impact"), _scale(effort, "effort")
    row = priority_row(idea)
    before, after = changed_values({"impact": row.impact, "effort": row.effort},
                                   {"impact": impact, "effort": effort})
    if not after:
        return False
    row.impact, row.effort = impact, effort
    db.session.flush()
    publish(IdeaWeighed(actor, idea, before, after))
    return True


def _scale(raw: Any, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) not in SCALE:
        raise InvalidInput(_("Please correct the highlighted fields."),
                           {name: _("Choose a number from 1 to 5, or leave it unset.")})
    return int(text)


# Computing scores (the worker).

def inputs_of(idea_ids: list[int]) -> dict[int, Inputs]:
    """What the scores of these ideas are computed from: four grouped queries whatever their number."""
    votes = _pairs(select(Idea.id, Idea.vote_count).where(Idea.id.in_(idea_ids)))
    points = _pairs(importance_points(idea_ids))
    revenue = _pairs(revenue_at_stake(idea_ids))
    scales = {row.idea_id: row for row in db.session.execute(
        select(IdeaPriority.idea_id, IdeaPriority.impact, IdeaPriority.effort)
        .where(IdeaPriority.idea_id.in_(idea_ids)))}
    return {idea_id: Inputs(votes=count, importance=int(points.get(idea_id) or 0),
                            revenue=Decimal(revenue.get(idea_id) or 0),
                            impact=scales[idea_id].impact if idea_id in scales else None,
                            effort=scales[idea_id].effort if idea_id in scales else None)
            for idea_id, count in votes.items()}


def _pairs(statement: Select[int, Any]) -> dict[int, Any]:
    return {key: value for key, value in db.session.execute(statement)}


def recompute_due(limit: int = BATCH) -> int:
    """Recompute up to `limit` due scores in one transaction; returns how many.

    The due rows are locked as they are read (PostgreSQL; SQLite has one writer), skipping those
    another worker holds, and their flags cleared first: a vote arriving meanwhile waits for this
    transaction and marks its idea due again after it."""
    due = list(db.session.execute(
        select(IdeaPriority.idea_id).where(IdeaPriority.due.is_(True)).order_by(IdeaPriority.idea_id)
        .limit(limit).with_for_update(skip_locked=True)).scalars())
    if not due:
        db.session.commit()
        return 0
    db.session.execute(update(IdeaPriority).where(IdeaPriority.idea_id.in_(due)).values(due=False),
                       execution_options={"synchronize_session": False})
    weights, now = current_weights(), utcnow()
    rows = [{"key": idea_id, "score": score(inputs, weights), "computed_at": now}
            for idea_id, inputs in inputs_of(due).items()]
    if rows:
        table = cast(Table, IdeaPriority.__table__)  # Core executemany: one UPDATE, many rows
        db.session.execute(update(table).where(table.c.idea_id == bindparam("key")).values(
                score=bindparam("score"), computed_at=bindparam("computed_at")), rows)
    db.session.commit()
    return len(due)


def recompute_all(batch: int = BATCH) -> int:
    """Recompute every due score now (the benchmark's seeding, tests); returns how many."""
    total = 0
    while handled := recompute_due(batch):
        total += handled
    return total


def explain(idea: Idea) -> Explanation:
    """The idea's score computed now, term by term, beside the one the worker stored."""
    weights, row = current_weights(), priority_row(idea)
    inputs = inputs_of([idea.id])[idea.id]
    terms = (
        Term(_("votes"), Decimal(inputs.votes), weights.votes),
        Term(_("importance points"), Decimal(inputs.importance), weights.importance),
        Term(_("revenue at stake ÷ 1,000"), (inputs.revenue / REVENUE_UNIT).quantize(Decimal("0.01")),
             weights.revenue),
        Term(_("impact"), Decimal(inputs.impact or UNSET), weights.impact, inputs.impact is None),
    )
    effort = Term(_("effort"), Decimal(inputs.effort or UNSET), weights.effort, inputs.effort is None)
    return Explanation(score=score(inputs, weights), stored=row.score, terms=terms, effort=effort,
                       impact=row.impact, effort_set=row.effort, computed_at=row.computed_at)
