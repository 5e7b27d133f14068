"""Forms: lengths match the columns, so bad input is named before it reaches the database."""
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, EmailField, Field, HiddenField, PasswordField, RadioField, SelectChoice,
    IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import (
    DataRequired, Email, EqualTo, Length, NumberRange, Optional, ValidationError,
)

from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from ..accounts import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from ..errors import InvalidInput
from ..i18n import KIND_NAMES, WTFormsTranslations, format_count, wtforms_translations
from ..models import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX, Tag
from ..models.types import INTEGER_MAX
from ..models.user import HANDLE_MAX
from ..status_list import STATUS_NAMES
from ..statuses import NOTE_MAX, SETTABLE_STATUSES


def _strip(value: object) -> object:
    # A line break counts once however the form was sent: a browser's own submit sends CRLF, htmx
    # (and so the live counter, ideas/web/text_length.py) sends LF.
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _no_nul(form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError(_("This text holds characters that cannot be stored."))


class TagsField(SelectMultipleField):
    """Tags chosen from the existing ones, with a plain-words error for any other."""

    def pre_validate(self, form: FlaskForm) -> None:
        allowed = {choice.value for choice in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(_("Choose tags from the list."))

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data: list[int] = []
            raise ValueError(_("Choose tags from the list.")) from None


def too_long(limit: int, count: int) -> str:
    """What a field says of a text over its limit, in the terms of its live counter ("At most 120
    characters.", "10 too many": the `limit_note` macro in templates/_macros.html), so the note and
    the 422 never tell it two ways."""
    return ngettext("At most %(limit)s character: this has %(count)s, %(over)s too many.",
                    "At most %(limit)s characters: this has %(count)s, %(over)s too many.",
                    limit, limit=format_count(limit), count=format_count(count),
                    over=format_count(count - limit))


class TextLimit(Length):
    """WTForms' Length, telling a text over its limit in the product's words (`too_long`)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        count = len(field.data) if field.data else 0
        if self.max != -1 and count > self.max:
            raise ValidationError(too_long(self.max, count))
        super().__call__(form, field)


def _in_product_words(validator: Any) -> Any:
    """`validator`, or a TextLimit in place of a Length that leaves its words to WTForms."""
    if type(validator) is Length and validator.message is None:
        return TextLimit(validator.min, validator.max)
    return validator


class Form(FlaskForm):
    """Every form of the app: Flask-WTF's, with WTForms' own messages from a catalogue kept per language.

    Forms live beside their views all over ideas/web; each field is bound here, so every Length
    among them speaks of a text too long in one wording without each form saying so."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> WTFormsTranslations:
            return wtforms_translations

        def bind_field(self, form: FlaskForm, unbound_field: UnboundField,
                       options: dict[str, Any]) -> Field:
            # WTForms joins this Meta with FlaskForm's, so super() reaches DefaultMeta.bind_field.
            field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            field.validators = [_in_product_words(validator) for validator in field.validators]
            return field


class ActionForm(Form):
    """A button that changes something: only the CSRF token, plus where to go next."""

    next = HiddenField()


class SignUpForm(Form):
    name = StringField(_l("Name"), [DataRequired(_l("Tell us your name.")), Length(max=NAME_MAX), _no_nul],
                       filters=[_strip])
    email = EmailField(_l("Email"), [DataRequired(_l("Enter your email address.")), Length(max=EMAIL_MAX),
                                 Email(_l("Enter a valid email address."), check_deliverability=False)],
                       filters=[_strip])
    password = PasswordField(_l("Password"), [DataRequired(_l("Choose a password.")),
                                          Length(min=PASSWORD_MIN, max=PASSWORD_MAX)])
    handle = StringField(_l("Handle (optional)"), [Optional(), Length(max=HANDLE_MAX), _no_nul],
                         filters=[_strip],
                         description=_l("What others type after @ to mention you: letters, digits or _. "
                                        "Leave it blank to have one made from your name."))


class HandleForm(Form):
    handle = StringField(_l("Handle"), [DataRequired(_l("Choose a handle.")), Length(max=HANDLE_MAX),
                                        _no_nul], filters=[_strip],
                         description=_l("What others type after @ to mention you: "
                                        "2 to 30 letters, digits or _."))


class LoginForm(Form):
    email = EmailField(_l("Email"), [DataRequired(_l("Enter your email address.")), Length(max=EMAIL_MAX)],
                       filters=[_strip])
    password = PasswordField(_l("Password"), [DataRequired(_l("Enter your password.")),
                                          Length(max=PASSWORD_MAX)])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), [DataRequired(_l("Enter your email address.")), Length(max=EMAIL_MAX),
                                 Email(_l("Enter a valid email address."), check_deliverability=False)],
                       filters=[_strip])


class ResetPasswordForm(Form):
    password = PasswordField(_l("New password"), [DataRequired(_l("Choose a password.")),
                                              Length(min=PASSWORD_MIN, max=PASSWORD_MAX)])
    confirm = PasswordField(_l("Repeat the new password"),
                            [EqualTo("password", _l("The two passwords differ."))])


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     [DataRequired(_l("Enter your current password.")),
                                      Length(max=PASSWORD_MAX)])


class NameForm(Form):
    name = StringField(_l("Name"), [DataRequired(_l("Enter a name.")), Length(max=NAME_MAX), _no_nul],
                       filters=[_strip])


class IdeaForm(Form):
    title = StringField(_l("Title"), [DataRequired(_l("Give your idea a title.")), Length(max=TITLE_MAX),
                                  _no_nul], filters=[_strip])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=DESCRIPTION_MAX), _no_nul],
                                filters=[_strip],
                                description=_l("Markdown works: **bold**, _italic_, lists and links."))
    kind = RadioField(_l("Kind"), default="idea",
                      choices=[SelectChoice(value, label) for value, label in KIND_NAMES.items()],
                      validators=[DataRequired(_l("Choose idea, problem or praise."))])
    tags = TagsField(_l("Tags"), coerce=int, validators=[Optional()])

    def set_tag_choices(self, tags: Iterable[Tag]) -> None:
        self.tags.choices = [SelectChoice(tag.id, tag.name) for tag in tags]


class TagIdeaForm(Form):
    """The tags on one idea (a board moderator's form on the idea page)."""

    tags = TagsField(_l("Tags"), coerce=int, validators=[Optional()])

    def set_tag_choices(self, tags: Iterable[Tag]) -> None:
        self.tags.choices = [SelectChoice(tag.id, tag.name) for tag in tags]


class MoveForm(Form):
    """Staff move an idea to another board (choices: every board, by slug; "main" the main one)."""

    board = SelectField(_l("Board"), choices=[], validate_choice=False)


class ProposeForm(IdeaForm):
    """A new idea, and the board it goes on (offered when the member may see more than one)."""

    board = SelectField(_l("Board"), default="", choices=[], validate_choice=False)


class CommentForm(Form):
    body = TextAreaField(_l("Comment"), [DataRequired(_l("Write something first.")),
                                     Length(max=COMMENT_MAX), _no_nul], filters=[_strip])
    # Shown to staff only; the domain refuses the other two from members.
    visibility = RadioField(_l("Post as"), default="public", choices=[
        SelectChoice("public", _l("Comment")),
        SelectChoice("official", _l("Official response (pinned under the description)")),
        SelectChoice("internal", _l("Internal note (staff only)")),
    ])


class ReplyForm(Form):
    """A reply under a comment: public (an internal note's replies are internal notes too)."""

    body = TextAreaField(_l("Reply"), [DataRequired(_l("Write something first.")),
                                   Length(max=COMMENT_MAX), _no_nul], filters=[_strip])


class StatusForm(Form):
    # The admins' statuses, read when the form is shown (archived ones and merged are not offered).
    status = SelectField(_l("New status"), choices=lambda: status_choices())
    note = TextAreaField(_l("Public note"), [Optional(), Length(max=NOTE_MAX), _no_nul], filters=[_strip],
                         description=_l("Followers of the idea read this. Required when closing it."))


def status_choices() -> list[SelectChoice]:
    """The statuses staff may move an idea to, as select choices in the admins' order."""
    return [SelectChoice(key, STATUS_NAMES[key]) for key in SETTABLE_STATUSES]


class MergeForm(Form):
    into = IntegerField(_l("Merge into idea #"), [
        DataRequired(_l("Enter the number of the surviving idea.")),
        NumberRange(min=1, max=INTEGER_MAX, message=_l("Enter an idea number.")),
    ])


class VoteForCustomerForm(Form):
    email = EmailField(_l("Customer's email"), [
        DataRequired(_l("Enter the customer's email address.")),
        Length(max=EMAIL_MAX),
        Email(_l("Enter a valid email address."), check_deliverability=False),
    ], filters=[_strip])


class SiteSettingsForm(Form):
    require_confirmation = BooleanField(
        _l("Members must confirm their email address before proposing, voting or commenting")
    )


def apply_domain_errors(form: FlaskForm, error: InvalidInput) -> None:
    """Show a domain InvalidInput on the form fields it names."""
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


class NotificationSettingsForm(Form):
    email_mode = RadioField(_l("Email me about the ideas I follow"), default="immediate", choices=[
        SelectChoice("immediate", _l("At once, one email per change")),
        SelectChoice("digest", _l("Once a day, in a digest")),
        SelectChoice("never", _l("Never (notifications stay in the site)")),
    ])
    timezone = SelectField(_l("Time zone for the daily digest"), validators=[Optional()])

    def set_timezones(self, zones: Iterable[str]) -> None:
        self.timezone.choices = [SelectChoice("", _l("UTC"))] + [SelectChoice(zone, zone) for zone in zones]


class FollowLevelForm(Form):
    level = RadioField(_l("Tell me about"), default="status", choices=[
        SelectChoice("status", _l("Status changes and responses")),
        SelectChoice("all", _l("All activity, comments too")),
    ])
