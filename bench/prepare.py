"""Adds the benchmark's own rows to a freshly seeded database and says what it added.

    DATABASE_URL=... IDEAS_ENV=production ... python bench/prepare.py --followers 10000 --signed-in 64

- one idea with exactly `--followers` followers (bulk-inserted follows; if the data set has
  fewer members, the missing accounts are added with the demo members' shared password hash),
- one idea with 50 comments by 50 members,
- for each member the benchmark signs in, an open idea among the most voted that the member
  has not backed (the vote scenario backs and withdraws it in turn),
- `--companies` companies (one in ten on the Enterprise plan, with a monthly revenue each), every
  customer in one of them, the segment "Enterprise" (plan is Enterprise), and every idea's
  priority score computed as the worker would (the inbox by priority reads them),
- `--boards` public boards besides the main one, the ideas spread evenly over all of them (the
  board page of one of 20 boards, issue 20).

Prints one JSON object on stdout.
"""
import json
import os
import random
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import click  # noqa: E402
from sqlalchemy import case, func, insert, select, update  # noqa: E402

from ideas import create_app  # noqa: E402
from ideas.board_access import store_board_accesses  # noqa: E402
from ideas.handles import fill_missing_handles  # noqa: E402
from ideas.database import sync_id_sequences, writing  # noqa: E402
from ideas.demo import COMMENTS  # noqa: E402
from ideas.extensions import db  # noqa: E402
from ideas.models import (  # noqa: E402
    Board, Comment, Company, CompanyAttribute, CompanyMember, Follow, Idea, Segment, User, Vote, utcnow,
)
from ideas.priority import recompute_all  # noqa: E402
from ideas.priority_queue import start_missing  # noqa: E402
from ideas.status_list import MERGED, keys, voting_closes  # noqa: E402
from ideas.sanitize import render_markdown  # noqa: E402
from ideas.voting import trending_score  # noqa: E402

CHUNK = 5_000
HOT_IDEAS = 20
COMMENT_COUNT = 50


def _members(limit):
    return db.session.execute(
        select(User.id, User.email).where(User.role == "member", User.suspended_at.is_(None))
        .order_by(User.id).limit(limit)).all()


def _add_members(count, now):
    """Accounts the follower idea needs beyond the seeded ones (shared password hash)."""
    password_hash = db.session.execute(
        select(User.password_hash).where(User.email == "member@example.com")).scalar()
    first = (db.session.execute(select(func.max(User.id))).scalar() or 0) + 1
    rng = random.Random(7)
    rows = [dict(id=first + i, email=f"follower{first + i}@example.com", name=f"Follower {first + i}",
                 role="member", password_hash=password_hash,
                 session_token=f"{rng.getrandbits(128):032x}",
                 email_confirmed_at=now if i % 5 else None, created_at=now - timedelta(days=30))
            for i in range(count)]
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(User), rows[start:start + CHUNK])
    sync_id_sequences(User)
    fill_missing_handles()


def _new_idea(title, description, author_id, now, comment_count=0):
    created = now - timedelta(days=2)
    idea = Idea(title=title, description=description, description_html=render_markdown(description),
                kind="idea", status="open", author_id=author_id, vote_count=0,
                comment_count=comment_count, trending_score=trending_score(0, created),
                created_at=created, updated_at=now, status_changed_at=created)
    db.session.add(idea)
    db.session.flush()
    return idea


def _follow_rows(idea_id, member_ids, author_id, now):
    return [dict(user_id=member_id, idea_id=idea_id, following=True,
                 reason="author" if member_id == author_id else "follow",
                 level="all" if member_id == author_id else "status",
                 created_at=now, updated_at=now)
            for member_id in member_ids]


def _add_companies(count, now):
    """`count` companies, every member with role "member" in one of them (round robin), and the
    Enterprise segment; returns the segment's id."""
    plans = ("Enterprise",) + ("Pro",) * 3 + ("Starter",) * 6
    revenue = {"Enterprise": 12_000, "Pro": 1_500, "Starter": 200}
    first = (db.session.execute(select(func.max(Company.id))).scalar() or 0) + 1  # after the demo's
    numbers = range(first, first + count)
    rows = [dict(id=number, external_id=f"bench-{number}", name=f"Company {number}", name_source="csv",
                 name_set_at=now, created_at=now) for number in numbers]
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(Company), rows[start:start + CHUNK])
    attributes = []
    for number in numbers:
        plan = plans[number % len(plans)]
        amount = revenue[plan] + number % 100
        attributes += [dict(company_id=number, name="plan", text_value=plan, number_value=None,
                            source="csv", set_at=now),
                       dict(company_id=number, name="monthly_revenue", text_value=str(amount),
                            number_value=amount, source="csv", set_at=now)]
    for start in range(0, len(attributes), CHUNK):
        db.session.execute(insert(CompanyAttribute), attributes[start:start + CHUNK])
    member_ids = db.session.execute(select(User.id).where(User.role == "member").order_by(User.id)).scalars()
    taken = set(db.session.execute(select(CompanyMember.user_id)).scalars())
    memberships = [dict(user_id=member_id, company_id=first + index % count, source="csv", set_at=now)
                   for index, member_id in enumerate(member_ids) if member_id not in taken]
    for start in range(0, len(memberships), CHUNK):
        db.session.execute(insert(CompanyMember), memberships[start:start + CHUNK])
    sync_id_sequences(Company)
    rules = [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}]
    segment = Segment(name="Benchmark: Enterprise", match="all", created_at=now, updated_at=now,
                      rules=json.dumps(rules))
    db.session.add(segment)
    db.session.flush()
    return segment.id


def _add_boards(count, now):
    """`count` public boards, and every idea spread over them and the main board by its id (the
    demo's own boards keep theirs); returns the slug of the board the benchmark reads."""
    first = (db.session.execute(select(func.max(Board.id))).scalar() or 0) + 1
    rows = [dict(id=first + number, slug=f"bench-board-{number + 1}", name=f"Benchmark board {number + 1}",
                 description="", position=100 + number, access="public", created_at=now, updated_at=now)
            for number in range(count)]
    if not rows:
        return None
    db.session.execute(insert(Board), rows)
    sync_id_sequences(Board)
    # Idea n goes to board n mod (count + 1), the remainder 0 staying on the main board.
    spread = case(*((Idea.id % (count + 1) == number + 1, first + number) for number in range(count)),
                  else_=None)
    db.session.execute(update(Idea).where(Idea.board_id.is_(None)).values(board_id=spread),
                       execution_options={"synchronize_session": False})
    store_board_accesses()
    return rows[count // 2]["slug"]


@click.command()
@click.option("--followers", default=10_000, show_default=True)
@click.option("--signed-in", "signed_in", default=64, show_default=True)
@click.option("--companies", default=20_000, show_default=True)
@click.option("--boards", default=19, show_default=True, help="Boards besides the main one.")
def main(followers, signed_in, companies, boards):
    app = create_app()
    now = utcnow()
    with app.app_context(), writing():
        available = len(_members(followers))
        added = max(0, followers - available)
        if added:
            _add_members(added, now)
        members = _members(followers)
        member_ids = [member_id for member_id, _ in members]

        # The idea with `followers` followers; its author is one of them.
        crowded = _new_idea(
            f"Benchmark: an idea followed by {followers:,} members",
            "Everyone wants to hear what becomes of this one.", member_ids[0], now)
        follow_rows = _follow_rows(crowded.id, member_ids, member_ids[0], now)
        for start in range(0, len(follow_rows), CHUNK):
            db.session.execute(insert(Follow), follow_rows[start:start + CHUNK])

        # The idea with 50 comments by 50 members.
        authors = member_ids[1:COMMENT_COUNT + 1]
        discussed = _new_idea("Benchmark: an idea with a long discussion",
                              "A *lively* thread: fifty comments under one idea.",
                              member_ids[0], now, comment_count=len(authors))
        html = {text: render_markdown(text) for text in COMMENTS}
        db.session.execute(insert(Comment), [
            dict(idea_id=discussed.id, author_id=author, body=COMMENTS[i % len(COMMENTS)],
                 body_html=html[COMMENTS[i % len(COMMENTS)]],
                 created_at=now - timedelta(days=1) + timedelta(minutes=i))
            for i, author in enumerate(authors)])
        db.session.execute(insert(Follow), _follow_rows(discussed.id, [member_ids[0]] + authors,
                                                        member_ids[0], now))

        # The members the benchmark signs in: confirmed customers, none of the above's author.
        chosen = db.session.execute(
            select(User.id, User.email).where(User.role == "member",
                                              User.email_confirmed_at.is_not(None),
                                              User.email.like("customer%"))
            .order_by(User.id).offset(1).limit(signed_in)).all()
        closed = [key for key in [*keys(), MERGED] if voting_closes(key)]
        hot = db.session.execute(
            select(Idea.id).where(Idea.status.not_in(closed),
                                  Idea.withdrawn_at.is_(None), Idea.hidden_at.is_(None),
                                  Idea.awaiting_approval.is_(False))
            .order_by(Idea.vote_count.desc(), Idea.id).limit(HOT_IDEAS)).scalars().all()
        backed = set(db.session.execute(
            select(Vote.user_id, Vote.idea_id).where(Vote.user_id.in_([m for m, _ in chosen]),
                                                     Vote.idea_id.in_(hot))).all())
        vote_targets = {}
        for index, (member_id, email) in enumerate(chosen):
            free = [idea_id for idea_id in hot if (member_id, idea_id) not in backed]
            vote_targets[email] = free[index % len(free)] if free else crowded.id
        crowded_id, discussed_id = crowded.id, discussed.id
        segment_id = _add_companies(companies, now)
        board_slug = _add_boards(boards, now)
        start_missing()
        db.session.commit()
        scored = recompute_all(batch=CHUNK)

        followers_now = db.session.execute(
            select(func.count()).select_from(Follow)
            .where(Follow.idea_id == crowded_id, Follow.following.is_(True))).scalar()
        counts = {name: db.session.execute(select(func.count()).select_from(model)).scalar()
                  for name, model in (("members", User), ("ideas", Idea), ("votes", Vote),
                                      ("comments", Comment), ("follows", Follow))}
    print(json.dumps({
        "crowded_idea": crowded_id,
        "followers": followers_now,
        "members_added_for_followers": added,
        "discussed_idea": discussed_id,
        "comments": len(authors),
        "members": [email for _, email in chosen],
        "vote_targets": vote_targets,
        "hot_ideas": hot,
        "counts": counts,
        "companies": companies,
        "segment": segment_id,
        "board": board_slug,
        "priorities_computed": scored,
    }))


if __name__ == "__main__":
    main()
