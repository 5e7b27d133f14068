"""The product team's people work: roles, votes for customers, one customer's whole history."""
from sqlalchemy import Select, select

from flask_babel import gettext as _

from . import audit
from .accounts import EMAIL_SHAPE, find_member_by_email, normalise_email, passwordless_account
from .errors import InvalidInput, NotAllowed
from .events import CustomerVoteRecorded, RoleChanged, role_view
from .events.publish import publish
from .extensions import db
from .models import Comment, Idea, User, Vote
from .voting import cast_vote

GRANTABLE_ROLES = ("member", "staff")


def set_role(actor: User, member: User, role: str) -> None:
    """Admins grant or revoke the staff role (admins themselves are made by `create-admin`)."""
    audit.require_admin(actor)
    if role not in GRANTABLE_ROLES:
        raise InvalidInput(_("Unknown role."), {"role": _("Choose member or staff.")})
    if member.is_admin:
        raise NotAllowed(_("Admins keep their role; change it with the command line."))
    if member.role != role:
        before = role_view(member)
        member.role = role
        db.session.flush()
        publish(RoleChanged(actor, member, before))


def vote_for_customer(actor: User, idea: Idea, email: str) -> tuple[User, bool]:
    """Staff record a customer's vote by email; an account without a password is made if needed."""
    audit.require_staff(actor)
    email = normalise_email(email)
    if not EMAIL_SHAPE.fullmatch(email) or len(email) > 254:
        raise InvalidInput(_("Enter the customer's email address."),
                           {"email": _("Enter a valid email address.")})
    customer = find_member_by_email(email)
    created = customer is None
    if customer is None:  # not `created`: mypy narrows only on the name itself
        customer = User(**passwordless_account(email))
        db.session.add(customer)
        db.session.flush()
    added = cast_vote(customer, idea, cast_by=actor)
    publish(CustomerVoteRecorded(actor, idea, email, created, added))
    return customer, added


def customer_history(member: User) -> tuple[Select[Idea], Select[Vote, Idea], Select[Comment, Idea]]:
    """Selects of everything a member did: their ideas, their votes, their comments."""
    ideas = select(Idea).where(Idea.author_id == member.id).order_by(Idea.created_at.desc())
    votes = (select(Vote, Idea).join(Idea, Idea.id == Vote.idea_id)
             .where(Vote.user_id == member.id).order_by(Vote.created_at.desc()))
    comments = (select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id)
                .where(Comment.author_id == member.id).order_by(Comment.created_at.desc()))
    return ideas, votes, comments
