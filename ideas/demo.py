"""Demo and benchmark data: a small board that reads like a real one, or a very large one.

Rows go in with bulk INSERTs and counts are computed while generating, so 100,000 ideas and
1,000,000 votes load in minutes. One password hash is made once and shared by every account.
The few companies, segments, importances and impact/effort values go through the rules staff and
admins use (ideas/companies.py, ideas/segments.py, ideas/vote_importance.py, ideas/priority.py),
so they read in the audit log and the priority scores as if the team had set them.
"""
import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Table, func, insert, select

from .comments import add_comment
from .companies import create_company, find_company, set_company_of
from .database import sync_id_sequences
from .extensions import Model, db
from .handles import fill_missing_handles
from .following import follow_values, join_followers_in_bulk
from .boards import create_board, move_idea
from .models import Board, Comment, Idea, Segment, Tag, User, Vote, idea_tags, utcnow
from .passwords import hash_password
from .priority import recompute_all, set_impact_effort
from .priority_queue import start_missing
from .sanitize import render_markdown
from .segments import create_segment
from .statuses import add_timeline_rows, status_step
from .vote_importance import set_importance
from .voting import trending_score

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = (
    ("admin@example.com", "Ada Admin", "admin"),
    ("staff@example.com", "Sam Staff", "staff"),
    ("member@example.com", "Mia Member", "member"),
)
TAGS = (("mobile", "blue"), ("billing", "purple"), ("integrations", "teal"),
        ("reporting", "indigo"), ("delivery", "brown"), ("accessibility", "green"),
        ("performance", "orange"), ("security", "red"))

IDEAS = (
    ("idea", "Add a dark mode", "The white background is hard on the eyes at night. A dark theme that follows the system setting would help."),
    ("idea", "Export reports to CSV", "We need to load monthly reports into our own spreadsheets."),
    ("problem", "Invoices show the wrong VAT rate for Austria", "Since the last update our Austrian invoices use 19% instead of 20%."),
    ("praise", "The new onboarding checklist is great", "Our new hires were productive on day one. Thank you!"),
    ("idea", "Slack integration for new orders", "Post a message to a channel whenever an order comes in."),
    ("problem", "Mobile app logs me out every day", "I have to sign in again every morning on Android."),
    ("idea", "Two-factor authentication with an authenticator app", "SMS codes are not enough for our security team."),
    ("idea", "Bulk edit products", "Changing prices on 300 products one by one takes an afternoon."),
    ("problem", "Search does not find products by SKU", "Typing the exact SKU returns nothing."),
    ("praise", "Support answered within ten minutes", "Quick and friendly help with our migration."),
    ("idea", "Schedule reports by email every Monday", "A weekly summary in the inbox would save us logging in."),
    ("idea", "Keyboard shortcuts for the order list", "j/k to move, e to edit, like in mail clients."),
    ("problem", "Delivery notes print on two pages", "The footer spills onto a second page with A4 paper."),
    ("idea", "Custom fields on customer profiles", "We track a customer's industry and need somewhere to put it."),
    ("idea", "Zapier integration", "Connect the app to the rest of our tools without writing code."),
    ("problem", "Dashboard is slow with many orders", "Loading the dashboard takes 20 seconds for our shop."),
    ("idea", "Offline mode for the mobile app", "Our drivers lose signal in the countryside."),
    ("praise", "Love the new reporting charts", "They made our board meeting so much easier."),
    ("idea", "Let customers track their delivery", "A tracking link in the confirmation email would stop most of our support calls."),
    ("idea", "Single sign-on with Google Workspace", "One less password for our staff."),
    ("problem", "Screen reader skips the checkout button", "With VoiceOver the pay button cannot be reached."),
    ("idea", "Multiple currencies in one store", "We sell to the UK and the eurozone."),
    ("idea", "Pause a subscription instead of cancelling", "Customers going on holiday cancel and never come back."),
    ("problem", "Password reset emails arrive late", "Sometimes the reset email takes an hour."),
    ("idea", "Larger text option", "Some of our older customers find the text too small."),
    ("praise", "Mobile app is fast now", "The last release made everything snappier."),
    ("idea", "Webhooks for order status changes", "Our warehouse system needs to know when an order ships."),
    ("idea", "Print shipping labels in bulk", "Select twenty orders, print twenty labels."),
    ("problem", "Refunds take two weeks to show up", "Customers ask us where their money is."),
    ("idea", "Compare this month with last month in reports", "Show the difference next to each figure."),
    ("idea", "Audit log of who changed what", "We need it for our compliance review."),
    ("problem", "Calendar sync duplicates events", "Every synced appointment appears twice in Outlook."),
    ("idea", "Dark mode for the mobile app too", "Please bring the dark theme to iOS and Android."),
    ("idea", "API rate limits per key", "One misbehaving script should not block our other integrations."),
    ("praise", "Clear pricing page", "Finally a pricing page that answers every question."),
    ("idea", "Gift cards", "Customers keep asking whether they can buy a gift card."),
    ("problem", "Emails land in spam at Outlook.com", "Order confirmations go straight to junk."),
    ("idea", "Saved filters on the order list", "We filter by the same three criteria every day."),
    ("idea", "Right-to-left language support", "We are opening a store in Israel."),
    ("problem", "Image upload fails for files over 5 MB", "Phone photos are often larger than that."),
)
COMMENTS = (
    "We need this too, for the same reason.",
    "+1, this would save our team hours every week.",
    "Is there a workaround until this is built?",
    "Same problem here since last Tuesday.",
    "Would love to see this **soon**.",
    "This matters a lot for our customers with accessibility needs.",
    "Any update on this?",
    "We switched from a competitor partly because of this; please keep it up!",
)
# Answers under the first comments, so the demo's discussions show replies (and one @mention).
REPLIES = (
    "Thanks for the detail! Which plan is your team on?",
    "Same here. @{handle}, did you find a workaround?",
    "We are collecting examples: a screenshot would help a lot.",
)
REPLIED_COMMENTS = 6
STATUS_NOTES = {
    "under_review": "Thanks! We are looking into how many customers this affects.",
    "planned": "This is on our plan for next quarter.",
    "in_progress": "Our team started on this **this sprint**.",
    "shipped": "Released today: thank you for asking for it.",
    "declined": "We will not build this: it conflicts with how billing works for most customers.",
}
STATUS_WEIGHTS = (("open", 40), ("under_review", 15), ("planned", 15), ("in_progress", 10),
                  ("shipped", 12), ("declined", 8))
CHUNK = 20_000
# (external id, name, plan, monthly revenue) of the customers' companies, and how many of the
# run's members (in order, the demo member first) belong to each.
COMPANIES = (
    ("northwind", "Northwind", "Enterprise", "12000", 4),
    ("globex", "Globex", "Pro", "1500", 3),
    ("initech", "Initech", "Starter", "200", 2),
)
SEGMENTS = (
    ("Enterprise customers", [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}]),
    ("Paying over 1,000 a month",
     [{"field": "attribute.monthly_revenue", "operator": "ge", "value": "1000"}]),
)
# Two boards besides the main one: (name, access, segment it opens to, how many demo ideas move there).
BOARDS = (
    ("Mobile app", "public", None, 4),
    ("Enterprise programme", "chosen", "Enterprise customers", 2),
)
# What some of the companies' members say of the ideas they back, in turn.
IMPORTANCES = (
    ("critical", "Our finance team cannot close the month without this."),
    ("important", "We would roll this out to 200 more seats."),
    ("nice_to_have", ""),
    ("critical", "Our biggest customer asked for it twice this quarter."),
    ("important", "It would save each of our agents about an hour a week."),
    ("nice_to_have", "Not urgent, but our designers keep asking."),
)
IMPORTANCE_VOTES = 12  # how many of the companies' members' votes say how much they matter
# (impact, effort) the team sets on the run's first ideas.
IMPACT_EFFORT = ((5, 2), (4, 4), (2, 1), (5, 5), (3, 2))


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """`rows` CHUNK at a time, so no statement holds a million rows' parameters at once."""
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _insert_chunks(table: type[Model] | Table, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def _next_id(model: type[User] | type[Idea]) -> int:
    return (db.session.execute(select(func.max(model.id))).scalar() or 0) + 1


def _spread(total: int, shares: Sequence[float], cap: int) -> list[int]:
    """Whole numbers near `shares`, each at most `cap`, adding up to `total` where room allows."""
    counts = [min(cap, int(share)) for share in shares]
    short = total - sum(counts)
    by_share = sorted(range(len(shares)), key=lambda index: -shares[index])
    while short > 0 and by_share:
        room = [index for index in by_share if counts[index] < cap]
        if not room:
            break
        for index in room[:short]:
            counts[index] += 1
        short = total - sum(counts)
    return counts


def has_data() -> bool:
    """True when the database already has accounts."""
    return db.session.execute(select(User.id).limit(1)).first() is not None


def seed_demo(ideas: int = 40, votes: int | None = None, members: int = 30, comments: int | None = None,
              seed: int = 42) -> dict[str, int]:
    """Load demo accounts, tags, ideas, votes, follows and comments; returns the counts."""
    rng = random.Random(seed)
    now = utcnow()
    password_hash = hash_password(DEMO_PASSWORD)
    votes = ideas * 6 if votes is None else votes
    comments = ideas * 2 if comments is None else comments

    first_user = _next_id(User)
    users: list[dict[str, Any]] = [
        dict(id=first_user + i, email=email, name=name, role=role, password_hash=password_hash,
             email_confirmed_at=now,
             created_at=now - timedelta(days=120))
        for i, (email, name, role) in enumerate(DEMO_ACCOUNTS)
        if db.session.execute(select(User.id).where(User.email == email)).first() is None
    ]
    base = first_user + len(users)
    users += [
        dict(id=base + i, email=f"customer{base + i}@example.com", name=f"Customer {base + i}",
             role="member", password_hash=password_hash,
             email_confirmed_at=now if i % 5 else None, created_at=now - timedelta(days=100))
        for i in range(members)
    ]
    _insert_chunks(User, users)
    fill_missing_handles()
    member_ids = [u["id"] for u in users if u["role"] == "member"] or [users[0]["id"]]

    tag_ids = []
    for name, colour in TAGS:
        tag = db.session.execute(select(Tag).where(Tag.name == name)).scalar()
        if tag is None:
            tag = Tag(name=name, colour=colour)
            db.session.add(tag)
            db.session.flush()
        tag_ids.append(tag.id)

    rendered = {text: render_markdown(text) for _, _, text in IDEAS}
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    first_idea = _next_id(Idea)
    # A few ideas draw most votes, as on real boards.
    popularity = [1.0 / (rank + 1) ** 0.8 for rank in range(ideas)]
    rng.shuffle(popularity)
    scale = votes / sum(popularity) if ideas else 0
    vote_targets = _spread(votes, [weight * scale for weight in popularity], len(member_ids))
    idea_rows, vote_rows, follow_rows, tag_rows, timeline_rows = [], [], [], [], []
    team_id = db.session.execute(select(User.id).where(User.role.in_(("staff", "admin")))
                                 .order_by(User.id)).scalar() or next(
        (u["id"] for u in users if u["role"] != "member"), member_ids[0])
    for i in range(ideas):
        kind, title, text = IDEAS[i % len(IDEAS)]
        if i >= len(IDEAS):
            title = f"{title} ({i // len(IDEAS) + 1})"
        idea_id = first_idea + i
        created = now - timedelta(minutes=rng.randint(90, 90 * 24 * 60))
        author = rng.choice(member_ids)
        voters = rng.sample(member_ids, vote_targets[i])
        status = rng.choices(statuses, weights)[0]
        changed = created
        if status != "open":
            changed = created + (now - created) * rng.uniform(0.2, 0.9)
            timeline_rows.append(status_step(team_id, idea_id, status, STATUS_NOTES[status], changed))
        idea_rows.append(dict(
            id=idea_id, title=title, description=text, description_html=rendered[text], kind=kind,
            status=status, author_id=author, vote_count=len(voters), comment_count=0,
            trending_score=trending_score(len(voters), created), created_at=created,
            updated_at=changed, status_changed_at=changed,
        ))
        follow_rows.append(follow_values(author, idea_id, "author", created))
        for voter in voters:
            age = int((now - created).total_seconds())
            voted_at = created + timedelta(seconds=rng.randint(60, max(61, age)))
            vote_rows.append(dict(user_id=voter, idea_id=idea_id, created_at=voted_at))
            if voter != author:
                follow_rows.append(follow_values(voter, idea_id, "vote", voted_at))
        for tag_id in rng.sample(tag_ids, rng.randint(0, 2)):
            tag_rows.append(dict(idea_id=idea_id, tag_id=tag_id))

    comment_html = {text: render_markdown(text) for text in COMMENTS}
    comment_rows, commented = [], set()
    for _ in range(comments if ideas else 0):
        row = rng.choice(idea_rows)
        author = rng.choice(member_ids)
        created = row["created_at"] + timedelta(minutes=rng.randint(5, 600))
        text = rng.choice(COMMENTS)
        comment_rows.append(dict(idea_id=row["id"], author_id=author, body=text,
                                 body_html=comment_html[text], created_at=min(created, now)))
        row["comment_count"] += 1
        row["updated_at"] = max(row["updated_at"], min(created, now))
        commented.add((author, row["id"]))

    followed = {(f["user_id"], f["idea_id"]) for f in follow_rows}
    follow_rows += [follow_values(u, i, "comment", now) for u, i in commented - followed]

    _insert_chunks(Idea, idea_rows)
    for chunk in _chunks(timeline_rows):
        add_timeline_rows(chunk)
    _insert_chunks(idea_tags, tag_rows)
    _insert_chunks(Vote, vote_rows)
    for chunk in _chunks(follow_rows):
        join_followers_in_bulk(chunk)
    _insert_chunks(Comment, comment_rows)
    sync_id_sequences(User, Idea)
    db.session.flush()
    companies, segments = _seed_customers(member_ids, users, vote_rows, [row["id"] for row in idea_rows])
    boards = _seed_boards([row["id"] for row in idea_rows])
    _seed_replies(rng, member_ids)
    return {"members": len(users), "ideas": len(idea_rows), "votes": len(vote_rows),
            "comments": len(comment_rows), "follows": len(follow_rows), "companies": companies,
            "segments": segments, "boards": boards}


def _seed_replies(rng: random.Random, member_ids: Sequence[int]) -> None:
    """Replies under the first few comments, through the rule members use (so they follow,
    are told and mentioned as on the site)."""
    staff = _first_of_role("staff", "admin")
    first = db.session.execute(select(Comment).where(Comment.parent_id.is_(None))
                               .order_by(Comment.id).limit(REPLIED_COMMENTS)).scalars().all()
    for number, comment in enumerate(first):
        writer = staff if number % 2 == 0 and staff is not None else db.session.get_one(User, rng.choice(member_ids))
        if writer.id == comment.author_id:
            continue
        text = REPLIES[number % len(REPLIES)].format(handle=comment.author.handle)
        add_comment(writer, db.session.get_one(Idea, comment.idea_id), text, parent=comment)


def _seed_boards(idea_ids: list[int]) -> int:
    """The demo's boards (through the admins' rule), and a few of the run's last ideas moved onto
    them by staff (so the most backed stay on the main board). Boards that exist already are kept.
    Returns how many boards were made."""
    staff, admin = _first_of_role("staff", "admin"), _first_of_role("admin")
    if staff is None or admin is None:
        return 0
    made = 0
    moving = iter(reversed(idea_ids))
    for name, access, segment_name, count in BOARDS:
        if db.session.execute(select(Board.id).where(Board.name == name)).first() is not None:
            continue
        segments = db.session.execute(select(Segment.id).where(Segment.name == segment_name)).scalars().all()
        board = create_board(admin, {"name": name, "access": access, "segment_ids": segments})
        made += 1
        for idea_id in islice(moving, count):
            move_idea(staff, db.session.get_one(Idea, idea_id), board)
    return made


def _first_of_role(*roles: str) -> User | None:
    return db.session.execute(select(User).where(User.role.in_(roles)).order_by(User.id)).scalars().first()


def _seed_customers(member_ids: list[int], users: list[dict[str, Any]], vote_rows: list[dict[str, Any]],
                    idea_ids: list[int]) -> tuple[int, int]:
    """Companies with plan and revenue, the run's first members in them, the two segments, what
    some of those members say of the ideas they back, impact and effort on a few ideas; then every
    priority score computed (recompute_all commits). Companies and segments that exist already
    are kept. Returns how many companies and segments were made."""
    staff, admin = _first_of_role("staff", "admin"), _first_of_role("admin")
    if staff is None:
        return 0, 0
    made_companies = made_segments = 0
    customers = iter([user_id for user_id in member_ids if user_id != staff.id])
    in_companies: set[int] = set()
    for external_id, name, plan, revenue, size in COMPANIES:
        company = find_company(external_id)
        if company is None:
            company = create_company(staff, external_id, name, {"plan": plan, "monthly_revenue": revenue})
            made_companies += 1
        for user_id in islice(customers, size):
            set_company_of(staff, db.session.get_one(User, user_id), company)
            in_companies.add(user_id)
    if admin is not None:
        taken = set(db.session.execute(select(Segment.name)).scalars())
        for name, rules in SEGMENTS:
            if name not in taken:
                create_segment(admin, name, "all", rules)
                made_segments += 1
    confirmed = {row["id"] for row in users if row.get("email_confirmed_at") is not None}
    said = [row for row in vote_rows if row["user_id"] in in_companies and row["user_id"] in confirmed]
    for number, row in enumerate(said[:IMPORTANCE_VOTES]):
        importance, note = IMPORTANCES[number % len(IMPORTANCES)]
        set_importance(db.session.get_one(User, row["user_id"]), db.session.get_one(Idea, row["idea_id"]),
                       importance, note)
    for idea_id, (impact, effort) in zip(idea_ids, IMPACT_EFFORT, strict=False):
        set_impact_effort(staff, db.session.get_one(Idea, idea_id), impact, effort)
    start_missing()  # bulk-inserted ideas published no creation event, so they have no score row yet
    recompute_all()
    return made_companies, made_segments
