"""Who may see an idea is decided in ideas/visibility.py and nowhere else.

The source scans fail when a module states the rule itself: a query condition on the columns
that hide an idea (withdrawn_at, hidden_at, awaiting_approval), a Python test of hidden_at or
awaiting_approval, or a template that filters ideas on them. Boards will add a second dimension
(board access) to that one module; a restated rule would silently ignore it. The behaviour tests
check that the SQL conditions say what the Python rules say, and that pages built on them still
hide what they hid.
"""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm import aliased

import ideas
from ideas import roadmap
from ideas.changelog import linkable_ideas
from ideas.errors import InvalidInput
from ideas.extensions import db
from ideas.following import follow_idea
from ideas.models import Idea, User, utcnow
from ideas.visibility import (
    can_see_idea, is_public, listed_condition, listed_ideas, public_ideas_condition, public_on_boards,
    visible_to,
)
from ideas.status_list import voting_open
from ideas.voting import cast_vote

PACKAGE = Path(ideas.__file__).parent
TEMPLATES = PACKAGE.parent / "templates"
FLAGS = ("withdrawn_at", "hidden_at", "awaiting_approval", "board_id")
# A Python test of these decides who sees an idea; withdrawn_at is also the state that closes
# voting, comments and status changes (statuses.py, voting.py, comments.py), so it may be tested.
DECIDING_FLAGS = ("hidden_at", "awaiting_approval", "board_id")

# Where the columns may be named in a condition: the rule itself, the models that declare them
# (and the partial index on them), and the rules that set them.
ALLOWED_FILES = ("visibility.py", "models/", "moderation.py")
ALLOWED_FUNCTIONS = {
    # Whether an author still needs approval: they have an approved idea. Not who sees what.
    ("proposals.py", "needs_approval"),
    # Which board an idea is on, for the admins' counts, moving and removing boards; the boards'
    # admin routes and a segment's boards: not who sees what.
    ("boards.py", "idea_counts"), ("boards.py", "delete_board"), ("boards.py", "move_idea"),
    ("web/boards.py", "edit"), ("web/boards.py", "delete"), ("segments.py", "segment_in_use"),
    ("csv_export.py", "idea_pages"),  # the export names each idea's board
    ("board.py", "board_filter_of"), ("board.py", "board_of"),  # which board an idea is on
}
SQL_WORDING = re.compile(rf"\b({'|'.join(FLAGS)})\b\s*(IS\b|=|!=|<>|<|>|IN\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.what}"


def _idea_names(tree: ast.Module) -> set[str]:
    """The names a module gives the Idea model: Idea, `import Idea as X`, `X = aliased(Idea)`."""
    names = {"Idea"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname for alias in node.names if alias.name == "Idea" and alias.asname}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", getattr(node.value.func, "attr", None)) == "aliased"
                and node.value.args and getattr(node.value.args[0], "id", None) in names):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def _base_name(node: ast.expr) -> str:
    """The name the attribute is read from: `comment` for `comment.hidden_at` or `self.comment.hidden_at`."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
        if isinstance(node, ast.Attribute):
            return node.attr
    return getattr(node, "id", "")


def _deciding(node: ast.expr, parents: dict[ast.AST, ast.AST]) -> bool:
    """True when the value is read to decide something: tested by if/and/or/not, filtered on in a
    comprehension, or returned by a predicate (shown in a badge or a payload, it decides nothing)."""
    parent = parents.get(node)
    if isinstance(parent, ast.Compare):
        return (parent.left is node and all(isinstance(op, (ast.Is, ast.IsNot)) for op in parent.ops)
                and _deciding(parent, parents))
    if isinstance(parent, (ast.BoolOp, ast.comprehension, ast.Return)):
        return True
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if isinstance(parent, (ast.If, ast.IfExp, ast.While, ast.Assert)):
        return parent.test is node
    return False


def source_findings(source: str, where: str) -> list[Finding]:
    """Every place in one module's source that restates who may see an idea."""
    if where.startswith(ALLOWED_FILES):
        return []
    tree = ast.parse(source)
    idea_names = _idea_names(tree)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    findings = []

    def function_of(node: ast.AST) -> str | None:
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node.name
        return None

    for node in ast.walk(tree):
        if (where, function_of(node)) in ALLOWED_FUNCTIONS:
            continue
        if isinstance(node, ast.Attribute) and node.attr in FLAGS:
            base = node.value
            if isinstance(base, ast.Name) and base.id in idea_names:
                findings.append(Finding(where, node.lineno, f"SQL on {base.id}.{node.attr}"))
            elif isinstance(base, ast.Attribute) and base.attr == "c":
                findings.append(Finding(where, node.lineno, f"SQL on a table's column .c.{node.attr}"))
            elif (node.attr in DECIDING_FLAGS and isinstance(node.ctx, ast.Load)
                  and not any(other in _base_name(node).lower() for other in ("comment", "tag"))
                  and _deciding(node, parents)):
                findings.append(Finding(where, node.lineno, f"a Python test of .{node.attr}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL_WORDING.search(node.value):
            findings.append(Finding(where, node.lineno, f"SQL text {node.value[:60]!r}"))
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
              in ("getattr", "column", "literal_column")
              and any(isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                      and any(flag in arg.value for flag in FLAGS) for arg in node.args)):
            findings.append(Finding(where, node.lineno, "a column named by its text"))
    return findings


TEMPLATE_FILTER = re.compile(
    rf"(select|reject)attr\(\s*[\"']({'|'.join(FLAGS)})"  # entry.ideas|rejectattr("hidden_at")
    rf"|{{%-?\s*for\b[^%]*\bif\b[^%]*\b({'|'.join(FLAGS)})\b"  # {% for idea in ideas if not idea.hidden_at %}
)


def template_findings(text: str, where: str) -> list[Finding]:
    """Every place in one template that filters ideas on the columns that hide them."""
    return [Finding(where, text.count("\n", 0, match.start()) + 1, f"filters on {match.group(0)!r}")
            for match in TEMPLATE_FILTER.finditer(text)]


def test_no_module_outside_visibility_decides_who_may_see_an_idea():
    findings = [finding for path in sorted(PACKAGE.rglob("*.py"))
                for finding in source_findings(path.read_text(), path.relative_to(PACKAGE).as_posix())]
    assert not findings, "ask ideas/visibility.py instead:\n" + "\n".join(map(str, findings))


def test_no_template_filters_ideas_on_the_columns_that_hide_them():
    findings = [finding for path in sorted(TEMPLATES.rglob("*")) if path.is_file()
                for finding in template_findings(path.read_text(), path.relative_to(TEMPLATES).as_posix())]
    assert not findings, ("filter with a visibility function (or the `public` test):\n"
                          + "\n".join(map(str, findings)))


@pytest.mark.parametrize("source", [
    "select(Idea).where(Idea.hidden_at.is_(None))",
    "select(Idea.id).where(Idea.withdrawn_at == None)",
    "from .models import Idea as I\nq = select(I).where(I.awaiting_approval.is_(False))",
    "other = aliased(Idea)\nq = select(other.id).where(other.hidden_at.is_(None))",
    "q = select(table.c.id).where(table.c.withdrawn_at.is_(None))",
    "q = select(Idea).where(text('hidden_at IS NULL'))",
    "q = select(Idea).where(literal_column('ideas.awaiting_approval') == False)",
    "def f(idea):\n    if idea.hidden_at is not None or idea.awaiting_approval:\n        return False",
    "def f(target):\n    return not target.awaiting_approval",
    "ok = [idea for idea in ideas if idea.hidden_at is None]",
], ids=["is-none", "equals", "import-as", "aliased", "table-column", "text", "literal-column",
        "python-or", "python-not", "comprehension"])
def test_the_scan_finds_a_restated_rule(source):
    assert source_findings(source, "roadmap.py")


@pytest.mark.parametrize("source", [
    "select(Comment).where(Comment.hidden_at.is_(None))",
    "if comment.hidden_at is not None:\n    pass",
    "payload = {'hidden': idea.hidden_at is not None, 'awaiting_approval': idea.awaiting_approval}",
    "badge = idea.awaiting_approval",
    "if idea.withdrawn_at is not None:\n    raise VotingClosed()",
    "_set_flag(actor, idea, 'hidden_at', True, IdeaHidden)",
], ids=["comment-sql", "comment-python", "serialised", "assigned", "withdrawn-state", "flag-name"])
def test_the_scan_leaves_other_uses_alone(source):
    assert source_findings(source, "roadmap.py") == []


def test_the_scan_allows_the_rule_and_the_models():
    source = "select(Idea).where(Idea.hidden_at.is_(None))"
    assert source_findings(source, "visibility.py") == source_findings(source, "models/idea.py") == []
    assert source_findings(f"def needs_approval(author):\n    return {source}", "proposals.py") == []
    assert source_findings(f"def other(author):\n    return {source}", "proposals.py")


@pytest.mark.parametrize("text", [
    '{% set shown = entry.ideas|rejectattr("hidden_at")|list %}',
    "{% for idea in ideas if not idea.awaiting_approval %}{{ idea.title }}{% endfor %}",
])
def test_the_template_scan_finds_a_filter(text):
    assert template_findings(text, "changelog/_entry.html")


def test_the_template_scan_leaves_badges_alone():
    badge = '{% if idea.hidden_at %}<span class="badge">Hidden</span>{% endif %}'
    assert template_findings(badge, "ideas/show.html") == []


# What the rules decide

STATES = {
    "public": {},
    "hidden": {"hidden_at": utcnow()},
    "withdrawn": {"withdrawn_at": utcnow()},
    "awaiting": {"awaiting_approval": True},
    "merged": {"status": "merged"},
}


@pytest.fixture
def every_state(make_user, make_idea):
    """An author, one idea of theirs in each state, a member, a staff member."""
    author = make_user()
    ideas = {state: make_idea(title=f"A {state} idea", author=author, **columns).id
             for state, columns in STATES.items()}
    return author, ideas, make_user(), make_user(role="staff")


@pytest.mark.parametrize("who", ["visitor", "member", "author", "staff"])
@pytest.mark.parametrize("alias", [False, True], ids=["table", "alias"])
def test_visible_to_selects_the_ideas_whose_page_the_viewer_may_open(app, every_state, who, alias):
    author, idea_ids, member, staff = every_state
    with app.app_context():
        viewer = {"visitor": AnonymousUserMixin(), "member": db.session.get(User, member.id),
                  "author": db.session.get(User, author.id), "staff": db.session.get(User, staff.id)}[who]
        ideas = aliased(Idea) if alias else Idea
        selected = set(db.session.execute(select(ideas.id).where(visible_to(viewer, ideas))).scalars())
        pages = {idea.id for idea in db.session.execute(select(Idea)).scalars() if can_see_idea(viewer, idea)}
        listed = set(db.session.execute(select(ideas.id).where(listed_condition(viewer, ideas))).scalars())
    assert selected == pages
    expected_pages = {"visitor": {"public", "merged"}, "member": {"public", "merged"},
                      "author": {"public", "merged", "awaiting"}, "staff": set(STATES)}[who]
    assert selected == {idea_ids[state] for state in expected_pages}
    expected_lists = {"public"} | ({"hidden", "awaiting"} if who == "staff" else set())
    assert listed == {idea_ids[state] for state in expected_lists}


def test_public_ideas_are_those_a_visitor_may_open(app, every_state):
    _, idea_ids, _, _ = every_state
    with app.app_context():
        selected = set(db.session.execute(select(Idea.id).where(public_ideas_condition())).scalars())
        every = db.session.execute(select(Idea)).scalars().all()
        public = {idea.id for idea in every if is_public(idea)}
        is_public_test = app.jinja_env.tests["public"]
        public_in_templates = {idea.id for idea in every if is_public_test(idea)}
        visitors_list = listed_ideas(AnonymousUserMixin()).with_only_columns(Idea.id)
        listed = set(db.session.execute(visitors_list).scalars())
    assert selected == public == public_in_templates == {idea_ids["public"], idea_ids["merged"]}
    assert listed == {idea_ids["public"]}


def test_my_activity_keeps_my_withdrawn_and_unapproved_ideas_but_no_hidden_ones(client, auth, app,
                                                                                every_state, make_idea):
    author, idea_ids, member, _ = every_state
    backed = {state: make_idea(title=f"Backed {state} idea", **columns).id
              for state, columns in STATES.items()}
    with app.app_context():
        reader = db.session.get(User, member.id)
        for idea_id in backed.values():
            idea = db.session.get_one(Idea, idea_id)
            if voting_open(idea):
                cast_vote(reader, idea)
            follow_idea(reader, idea)
        db.session.commit()
    auth.login(author)
    mine = client.get("/account/activity")
    auth.logout()
    auth.login(member)
    theirs = client.get("/account/activity")

    assert mine.status_code == theirs.status_code == 200
    mine_html, theirs_html = mine.get_data(as_text=True), theirs.get_data(as_text=True)
    for state in STATES:
        assert (f"A {state} idea" in mine_html) is (state != "hidden")
    for state in ("hidden", "withdrawn"):
        assert f"Backed {state} idea" not in theirs_html
    for state in ("public", "merged"):
        assert f"Backed {state} idea" in theirs_html


def test_the_changelog_refuses_an_idea_awaiting_approval(app, every_state):
    _, idea_ids, _, _ = every_state
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            linkable_ideas([idea_ids["public"], idea_ids["awaiting"]])
        assert [idea.id for idea in linkable_ideas([idea_ids["public"]])] == [idea_ids["public"]]
    assert refused.value.fields == {"ideas": f"#{idea_ids['awaiting']} is not public."}



def test_the_roadmap_asks_visibility_once_per_filter_not_once_per_view(app, make_idea, monkeypatch):
    """The roadmap's statements stay cached (lru_cache'd builders) with the condition inside them."""
    make_idea(title="Planned and public", status="planned")
    make_idea(title="Planned and hidden", status="planned", hidden_at=utcnow())
    built = []

    def counted(scope, ideas=roadmap.Idea) -> object:
        built.append(1)
        return public_on_boards(scope, ideas)

    monkeypatch.setattr(roadmap, "public_on_boards", counted)
    with app.app_context():
        first = roadmap.roadmap_cards(kind="idea"), roadmap.roadmap_totals(kind="idea")
        built_for_first = len(built)
        second = roadmap.roadmap_cards(kind="idea"), roadmap.roadmap_totals(kind="idea")
    assert len(built) == built_for_first
    assert first == second
    assert [card.title for card in second[0]["planned"]] == ["Planned and public"]
    assert second[1]["planned"] == 1
