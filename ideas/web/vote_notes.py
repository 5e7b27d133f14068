"""The "How much does this matter?" form of an idea's page and what its section shows.

The choice and the note sit beside the vote button: before backing they belong to the vote
form (the HTML `form` attribute, so the cached button stays the same for everyone); after
backing they are a small form of their own that changes them without a new vote.
"""
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from ..models import VOTE_NOTE_MAX, Idea
from ..i18n import IMPORTANCE_NAMES
from ..vote_importance import importance_of
from .forms import Form, _no_nul, _strip


class ImportanceForm(Form):
    """How much the idea matters (the choice list refuses any other value) and the private note."""

    importance = SelectField(_l("How much does this matter?"), default="", choices=[
        SelectChoice("", _l("Not saying")),
        *(SelectChoice(value, label) for value, label in IMPORTANCE_NAMES.items()),
    ])
    # Not `note`: the staff panel's status form has a field of that id on the same page.
    private_note = TextAreaField(_l("Why you need this"), [Length(max=VOTE_NOTE_MAX), _no_nul],
                                 filters=[_strip], description=_l("Only the product team reads this note."))


def importance_context(member: Any, idea: Idea, form: ImportanceForm | None = None,
                       backed: bool = True) -> dict[str, Any]:
    """The section's context: the member's form, filled with what they said (or typed). `backed`
    False (the page knows already) spares the query."""
    said = importance_of(member, idea) if backed else None
    if form is None:
        importance, note = said or (None, "")
        form = ImportanceForm(formdata=None, importance=importance or "", private_note=note)
    return dict(importance_form=form, importance_backed=said is not None)
