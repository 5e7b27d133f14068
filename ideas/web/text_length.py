"""The live character counter of text fields (issue 15: text is never cut silently).

Every field whose form states a limit shows a note under it, "At most 120 characters." (the `field`
macro in templates/_macros.html). With JavaScript on, htmx posts the field's text here as the
person types and swaps the answer into that note: "130 / 120 characters — 10 too many: …". The
note is a polite live region, so a screen reader reads the count when typing pauses, and while the
text is over the limit the input is aria-invalid (an HX-Trigger event, static/js/text-length.js), as
after the server's 422. Without JavaScript nothing posts and the note keeps its static words; the
server's 422 still names the limit, in the same words (forms.too_long).

- One place per rule. A limit is what the field's form says, Length(max) or render_kw maxlength,
  read from a form built from the form class, and the text is run through the field's own filters:
  the count is what the server's Length will count (code points; a stripped title loses its spaces).
- Forms are found, not listed: every subclass of `forms.Form`, named in URLs by its class name in
  kebab case without "Form" (IdeaForm → idea, ApiKeyForm → api-key).
- POST, not GET. A description holds 10,000 characters, up to about 120 KB percent-encoded, beyond
  the request line gunicorn (4 KB) and proxies take, and query strings land in access logs. A body
  is bounded by MAX_CONTENT_LENGTH. It needs no CSRF token: it changes nothing and reads nothing
  but what it is sent, so a forged post learns nothing; and a count still on its way while the form
  is sent (sign-up renews the session, and the token with it) must not fail.
- Cheap: no database. Nothing here asks who is signed in (the private-site gate lets the endpoint
  through, see privacy.PUBLIC_ENDPOINTS), so neither the member nor their "last seen" is touched; the
  page passes its language in `lang`, where the member's setting would need the database.
"""
import json
import re

from flask import Blueprint, abort, get_template_attribute, request, url_for
from flask_babel import force_locale
from wtforms import Field

from ..i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, browser_locale, current_locale
from ..extensions import csrf
from .forms import Form

bp = Blueprint("text_length", __name__)

# Passwords are never sent anywhere but their own form, and no one writes an email address long.
UNCOUNTED_TYPES = frozenset({"PasswordField", "EmailField"})
# Told with each count, on the note: static/js/text-length.js marks the field's input aria-invalid
# while its text is over the limit (htmx swaps only the note's words).
COUNTED_EVENT = "textCounted"
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def form_name(form_class: type[Form]) -> str:
    """The form's name in counter URLs: IdeaForm → idea, ApiKeyForm → api-key."""
    return _WORD_START.sub("-", form_class.__name__.removesuffix("Form")).lower()


def counted_forms() -> dict[str, type[Form] | None]:
    """Every form class of the app by its URL name; None for a name two classes share, which then
    gets no counter rather than the wrong one's limit. Walked per call: a few dozen classes."""
    found: dict[str, type[Form] | None] = {}
    waiting = list(Form.__subclasses__())
    while waiting:
        form_class = waiting.pop()
        waiting.extend(form_class.__subclasses__())
        name = form_name(form_class)
        found[name] = form_class if found.get(name, form_class) is form_class else None
    return found


def field_limit(field: Field) -> int | None:
    """The most characters `field` takes, as its form states it; None for fields without a limit
    worth showing."""
    if field.type in UNCOUNTED_TYPES:
        return None
    return field.flags.maxlength or (field.render_kw or {}).get("maxlength") or None


def counter_url(field: Field, limit: int | None) -> str | None:
    """Where the field's note asks for its count; None when the server cannot count against the
    `limit` the page shows (no limit, a template's own number, a form this module cannot name)."""
    form = getattr(field, "_form", None)  # WTForms keeps the form a field is bound to
    if form is None or not limit or field_limit(field) != limit:
        return None
    name = form_name(type(form))
    if counted_forms().get(name) is not type(form):
        return None
    prefix = field.name[:len(field.name) - len(field.short_name)]  # "edit-" of "edit-body"
    return url_for("text_length.count", form=name, field=field.short_name, prefix=prefix or None,
                   lang=current_locale())


def bound_field(form_name: str, field_name: str, prefix: str) -> Field | None:
    """Field `field_name` of the form called `form_name`, built without data or CSRF token."""
    form_class = counted_forms().get(form_name)
    if form_class is None:
        return None
    form = form_class(formdata=None, prefix=prefix, meta={"csrf": False})
    return form[field_name] if field_name in form else None


def page_language() -> str:
    """The language of the page that asks (its `lang`), else the browser's: never the member's
    setting, which would load the member."""
    lang = request.args.get("lang")
    return lang if lang in SUPPORTED_LOCALES else browser_locale() or DEFAULT_LOCALE


@csrf.exempt
@bp.post("/text-length/<form>/<field>")
def count(form: str, field: str) -> tuple[str, dict[str, str]]:
    """The words of one field's limit note for the text posted: its count, and what is too many;
    and, for the field's aria-invalid, whether the text is over the limit."""
    bound = bound_field(form, field, request.args.get("prefix", ""))
    limit = field_limit(bound) if bound is not None else None
    if bound is None or not limit:
        abort(404)
    bound.process(request.form)  # the field's own filters, as on submit
    text = bound.data if isinstance(bound.data, str) else ""
    with force_locale(page_language()):
        note = get_template_attribute("_macros.html", "limit_note")(limit, len(text))
    return note, {"HX-Trigger": json.dumps({COUNTED_EVENT: {"tooLong": len(text) > limit}})}


# The `field` macro asks these for every field it draws.
bp.add_app_template_global(field_limit, "text_limit")
bp.add_app_template_global(counter_url, "text_counter_url")
