"""What many tests share: a product manager who writes the changelog and announcements, an admin
(signed in or not), and members who follow ideas. Test modules import the fixtures by name."""
import pytest

from ideas.extensions import db
from ideas.following import follow_idea
from ideas.models import Idea, User


@pytest.fixture
def team_member(make_user):
    """A product manager, not signed in."""
    return make_user(role="staff", name="Pat Product")


@pytest.fixture
def admin(make_user):
    """An admin, not signed in."""
    return make_user(role="admin", name="Avery Admin")


@pytest.fixture
def signed_in_admin(auth, admin):
    """The admin, signed in."""
    auth.login(admin)
    return admin


@pytest.fixture
def staff(auth, team_member):
    """The product manager, signed in."""
    auth.login(team_member)
    return team_member


def follow(app, member, *ideas):
    """The member presses Follow on each idea."""
    with app.app_context():
        for idea in ideas:
            follow_idea(db.session.get(User, member.id), db.session.get(Idea, idea.id))
        db.session.commit()
