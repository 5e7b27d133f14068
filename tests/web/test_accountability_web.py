"""The accountability page and its API: the same figures for everyone who sees the same boards, the
waiting list for staff only, the board filter, and the admins' promise form."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ideas.answer_promise import set_promise
from ideas.api_keys import create_api_key
from ideas.boards import create_board
from ideas.extensions import db
from ideas.models import Setting, User, utcnow


@pytest.fixture
def people(make_user):
    """A member, a staff member and an admin."""
    return {"member": make_user(name="Mia"), "staff": make_user(name="Sam", role="staff"),
            "admin": make_user(name="Ada", role="admin")}


@pytest.fixture
def promised(app, people):
    """The team promises to answer within 14 days."""
    with app.test_request_context():
        set_promise(db.session.get(User, people["admin"].id), "14")
        db.session.commit()
    return 14


@pytest.fixture
def late_idea(make_idea):
    """An idea nobody answered for 20 days."""
    return make_idea(title="Export to spreadsheets", created_at=utcnow() - timedelta(days=20))


def _board(app, admin, name, slug, access):
    with app.test_request_context():
        board = create_board(db.session.get(User, admin.id), {"name": name, "slug": slug, "access": access})
        db.session.commit()
        return board.id


def test_a_visitor_reads_the_figures_in_plain_words(client, make_idea):
    make_idea()
    response = client.get("/accountability")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Median time to a first answer" in body and "Decided within 30 days" in body
    assert '<th scope="row">' in body and 'class="number"' in body and "<caption>" in body


def test_the_footer_links_the_page(client):
    assert 'href="/accountability"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who, sees_list",
                         [(None, False), ("member", False), ("staff", True), ("admin", True)])
def test_only_staff_see_the_ideas_waiting_past_the_promise(client, auth, people, promised, late_idea, who,
                                                          sees_list):
    if who:
        auth.login(people[who])
    body = client.get("/accountability").get_data(as_text=True)

    assert ("Export to spreadsheets" in body) is sees_list
    assert ("Waiting past the promise" in body) is sees_list
    assert "Our promise: we answer every idea within 14 days." in body


def test_the_waiting_list_links_each_idea(client, auth, people, promised, late_idea):
    auth.login(people["staff"])
    body = client.get("/accountability").get_data(as_text=True)

    assert f'href="/ideas/{late_idea.id}" dir="auto">Export to spreadsheets</a>' in body
    assert "1 idea has waited longer than the promise" in body


def test_the_board_filter_narrows_the_figures(client, app, people, make_idea):
    board_id = _board(app, people["admin"], "Mobile app", "mobile", "public")
    make_idea(title="On main")
    make_idea(title="On mobile", board_id=board_id)

    everything = client.get("/accountability").get_data(as_text=True)
    mobile = client.get("/accountability?board=mobile").get_data(as_text=True)

    assert "Ideas proposed: 2" in everything and "Ideas proposed: 1" in mobile
    assert "Board: <bdi>Mobile app</bdi>" in mobile


def test_a_board_the_reader_may_not_see_is_ignored(client, app, people, make_idea):
    board_id = _board(app, people["admin"], "Team only", "team", "staff")
    make_idea(title="On the team's board", board_id=board_id)
    make_idea(title="On main")

    for url in ("/accountability?board=team", "/accountability?board=nothing-here"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "Ideas proposed: 1" in body and "Team only" not in body


# The API

def _key(app, member):
    with app.app_context():
        _, token = create_api_key(db.session.get(User, member.id), "Test key")
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}


def test_the_api_gives_the_figures_and_the_waiting_list_only_to_staff(client, app, people, promised,
                                                                      late_idea):
    anonymous = client.get("/api/v1/accountability").get_json()
    member = client.get("/api/v1/accountability", headers=_key(app, people["member"])).get_json()
    staff = client.get("/api/v1/accountability", headers=_key(app, people["staff"])).get_json()

    assert anonymous["promise_days"] == 14 and len(anonymous["months"]) == 12
    assert anonymous["total"]["proposed"] == 1 and anonymous["total"]["judged_for_promise"] == 1
    assert anonymous["waiting"] is None and member["waiting"] is None
    assert staff["waiting"]["total"] == 1 and staff["waiting"]["ideas"][0]["id"] == late_idea.id


def test_the_api_answers_404_for_a_board_the_reader_may_not_see(client, app, people):
    _board(app, people["admin"], "Team only", "team", "staff")

    assert client.get("/api/v1/accountability?board=team").status_code == 404
    staff_key = _key(app, people["staff"])
    assert client.get("/api/v1/accountability?board=team", headers=staff_key).status_code == 200


# The promise form

@pytest.mark.parametrize("who, status", [(None, 302), ("member", 403), ("staff", 403), ("admin", 200)])
def test_only_admins_open_the_promise_form(client, auth, people, who, status):
    if who:
        auth.login(people[who])
    assert client.get("/admin/accountability").status_code == status


def test_an_admin_states_the_promise(client, auth, app, people, fetch):
    auth.login(people["admin"])
    response = client.post("/admin/accountability", data={"days": "21"})

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(Setting, "answer_promise_days").value) == "21"
    assert "within 21 days" in client.get("/accountability").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["three weeks", "0", "400"])
def test_a_bad_promise_is_refused_with_the_typed_value_kept(client, auth, people, fetch, typed):
    auth.login(people["admin"])
    response = client.post("/admin/accountability", data={"days": typed})

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'value="{typed}"' in body and "from 1 to 365" in body
    assert fetch(lambda: db.session.execute(select(Setting).where(Setting.key == "answer_promise_days"))
                 .scalar_one_or_none()) is None


def test_the_median_answer_reads_in_days_or_hours(client, make_idea):
    proposed = utcnow() - timedelta(days=40)
    make_idea(created_at=proposed, first_response_at=proposed + timedelta(days=3), decided_at=proposed)
    make_idea(created_at=proposed, first_response_at=proposed + timedelta(days=3, hours=5))
    body = client.get("/accountability").get_data(as_text=True)

    assert "Median time to a first answer: 3 days" in body
    assert "Decided within 30 days: 50%" in body
