"""Domain errors: raised by the rules, turned into responses by the views."""
from flask_babel import gettext


class DomainError(Exception):
    """A rule said no. `message` is safe to show to the person who asked."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    """The actor may not do this."""

    status_code = 403


class Conflict(DomainError):
    """The thing is not in a state that allows this (e.g. undoing a merge that is not there)."""

    status_code = 409


class VotingClosed(NotAllowed):
    """The idea no longer takes votes (shipped, declined, merged or withdrawn)."""

    status_code = 409


class ConfirmationRequired(NotAllowed):
    """The site asks members to confirm their email address first."""


class InvalidInput(DomainError):
    """Input broke a rule; `fields` names the problem per field."""

    status_code = 422

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class EmailTaken(InvalidInput):
    """Another account already uses this address."""

    def __init__(self) -> None:
        super().__init__(
            gettext("An account with this email already exists."),
            {"email": gettext("An account with this email already exists. Sign in or reset the password.")},
        )
