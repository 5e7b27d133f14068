"""Every registered event kind reads right: its summary, both email parts and its webhook
payload, in every language, for every reader it tells, with the content it quotes hidden or not;
and every kind the audit log keeps writes its entry, telling nobody unless it says so.

A kind added to the registry without a sample here fails the first test, so no kind ships
without being rendered (or audited) once."""
import json
import uuid

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from ideas.delivery import compose_notification_email
from ideas.events import (
    AccessRulesChanged, Announced, BrandingChanged, ChangelogEntryCreated, ChangelogEntryPublished,
    ChangelogEntryUpdated, ChangelogPublished, CommentHidden, CommentPosted, CommentUnhidden, CompanyCreated,
    CompanyMembershipChanged, CompanyUpdated, CsvImported, SegmentCreated, SegmentDeleted, SegmentUpdated,
    CustomerVoteRecorded, IdeaApproved, IdeaCreated, IdeaEditedByStaff, IdeaHidden, IdeaMerged, IdeaTagged,
    IdeaUnhidden, IdeaUnmerged, IdeaUntagged, IdeaWithdrawn, InvitationRenewed, InvitationRevoked,
    InvitationSent, MemberSuspended, MemberUnsuspended, OfficialResponse, ProductSecretCreated,
    ProductSecretRetired, RoleChanged, SiteRulesChanged, SsoSettingsChanged, StatusChanged, TagCreated,
    TagUpdated, VoteCast, WebhookChanged, WebhookCreated, WebhookDeleted, WebhookDisabled, WebhookEnabled,
    VoteImportanceChanged, IdeaWeighed, PriorityWeightsChanged, VoteWithdrawn, registered_kinds,
    BoardCreated, BoardDeleted, BoardUpdated, IdeaMoved, StatusesChanged, Mentioned, ReplyPosted,
    AnswerPromiseChanged,
)
from ideas.events.publish import publish
from ideas.extensions import db
from ideas.following import follow_idea, set_follow_level
from ideas.links import external_url
from ideas.models import (
    Announcement, AuditEntry, Board, ChangelogEntry, Comment, Company, Event, Idea, Invitation, OutboxRow,
    ProductSecret, Segment, Tag, User, WebhookDelivery, WebhookEndpoint, utcnow,
)
from ideas.notifications import followers_of, hidden_from_member, payload_of, summary
from ideas.voting import cast_vote
from ideas.webhooks import event_body, webhook_json

LANGUAGES = ("en", "de")
TITLE = "Export <to> CSV & Excel"
NOTE = ("Next **sprint**", "<p>Next <strong>sprint</strong></p>")


def _comment(people, idea, official=False, parent=None):
    author = people["staff_actor"] if official else people["commenter"]
    comment = Comment(idea_id=idea.id, author=author, body="Me **too**",
                      body_html="<p>Me <strong>too</strong></p>", official=official, created_at=utcnow(),
                      parent_id=parent.id if parent is not None else None)
    db.session.add(comment)
    db.session.flush()
    return comment


def _entry(people):
    entry = ChangelogEntry(title="Spring release", author_id=people["staff_actor"].id, published_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


def _other_idea(people):
    now = utcnow()
    other = Idea(title="CSV export", description="", description_html="", kind="idea", status="planned",
                 author=people["author"], created_at=now, updated_at=now, status_changed_at=now)
    db.session.add(other)
    db.session.flush()
    return other


def _added(row):
    db.session.add(row)
    db.session.flush()
    return row


def _announcement(people, idea):
    return _added(Announcement(author_id=people["staff_actor"].id, message="Fixed **next week**",
                               message_html="<p>Fixed <strong>next week</strong></p>", target="idea",
                               idea_id=idea.id, recipient_count=2))


def _invitation(people):
    return _added(Invitation(email="guest@example.com", invited_by_id=people["staff_actor"].id))


def _endpoint(people):
    return _added(WebhookEndpoint(url="https://hooks.example.com/ideas", events="idea.created",
                                  secret="whsec_test_secret_0123456789",
                                  created_by_id=people["staff_actor"].id))


def _secret(people):
    return _added(ProductSecret(kid=f"20261205-{uuid.uuid4().hex[:6]}", secret="s3cret-value",
                                created_by_id=people["staff_actor"].id))


def _company():
    return _added(Company(external_id=f"acme-{uuid.uuid4().hex[:6]}", name="Acme", name_source="staff"))


def _segment():
    return _added(Segment(name=f"Enterprise {uuid.uuid4().hex[:6]}", rules="[]"))


def _board():
    return _added(Board(name=f"Partners {uuid.uuid4().hex[:6]}", slug=f"partners-{uuid.uuid4().hex[:6]}",
                        access="members"))


def _audited(make_event):
    """A sample for a kind nobody is told of: it quotes no comment."""
    return lambda p, idea: (make_event(p, idea), None)


# One sample event of each kind: (people, idea) -> (typed event, the comment it quotes or None).
SAMPLES = {
    "idea_created": lambda p, idea: (IdeaCreated(p["author"], idea), None),
    "status_changed": lambda p, idea: (StatusChanged(p["staff_actor"], idea, "open", "planned", *NOTE), None),
    "comment": lambda p, idea: (lambda c: (CommentPosted(p["commenter"], idea, c), c))(
        _comment(p, idea)),
    "official_response": lambda p, idea: (lambda c: (OfficialResponse(p["staff_actor"], idea, c), c))(
        _comment(p, idea, official=True)),
    "mentioned": lambda p, idea: (lambda c: (Mentioned(p["commenter"], idea, c, (p["reader"].id,
                                                                              p["staff_reader"].id)), c))(
        _comment(p, idea)),
    "reply": lambda p, idea: (lambda parent: (lambda c: (ReplyPosted(p["commenter"], idea, c, parent), c))(
        _comment(p, idea, parent=parent)))(_comment(p, idea)),
    "merged": lambda p, idea: (IdeaMerged(p["staff_actor"], idea, _other_idea(p), "open", 2, 0), None),
    "vote_created": lambda p, idea: (VoteCast(p["reader"], idea, p["staff_actor"]), None),
    "vote_importance_changed": lambda p, idea: (VoteImportanceChanged(p["reader"], idea, None, "critical"),
                                                None),
    "vote_withdrawn": lambda p, idea: (VoteWithdrawn(p["reader"], idea), None),
    "withdrawn": lambda p, idea: (IdeaWithdrawn(p["author"], idea), None),
    "changelog": lambda p, idea: (ChangelogPublished(p["staff_actor"], idea, _entry(p),
                                                     followers_of([idea.id]), shipped=True), None),
    "announcement": lambda p, idea: (Announced(p["staff_actor"], idea, followers_of([idea.id]),
                                               _announcement(p, idea)), None),
    # Staff work the audit log keeps.
    "unmerged": _audited(lambda p, idea: IdeaUnmerged(p["staff_actor"], idea, _other_idea(p), "open", 2, 0)),
    "idea_weighed": _audited(lambda p, idea: IdeaWeighed(p["staff_actor"], idea, {"impact": None},
                                                         {"impact": 4})),
    "answer_promise": _audited(lambda p, idea: AnswerPromiseChanged(p["staff_actor"], {"days": None},
                                                                    {"days": 14})),
    "priority_weights": _audited(lambda p, idea: PriorityWeightsChanged(
        p["staff_actor"], {"priority_revenue": "1"}, {"priority_revenue": "2"})),
    "idea_edited": _audited(lambda p, idea: IdeaEditedByStaff(p["staff_actor"], idea, {"title": "Old"})),
    "changelog_created": _audited(lambda p, idea: ChangelogEntryCreated(p["staff_actor"], _entry(p))),
    "changelog_updated": _audited(lambda p, idea: ChangelogEntryUpdated(p["staff_actor"], _entry(p),
                                                                        {"title": "Spring", "ideas": []})),
    "changelog_published": _audited(lambda p, idea: ChangelogEntryPublished(p["staff_actor"], _entry(p),
                                                                            True)),
    "idea_hidden": _audited(lambda p, idea: IdeaHidden(p["staff_actor"], idea)),
    "idea_unhidden": _audited(lambda p, idea: IdeaUnhidden(p["staff_actor"], idea)),
    "comment_hidden": _audited(lambda p, idea: CommentHidden(p["staff_actor"], _comment(p, idea))),
    "comment_unhidden": _audited(lambda p, idea: CommentUnhidden(p["staff_actor"], _comment(p, idea))),
    "member_suspended": _audited(lambda p, idea: MemberSuspended(p["staff_actor"], p["commenter"])),
    "member_unsuspended": _audited(lambda p, idea: MemberUnsuspended(p["staff_actor"], p["commenter"])),
    "idea_approved": _audited(lambda p, idea: IdeaApproved(p["staff_actor"], idea)),
    "tag_created": _audited(lambda p, idea: TagCreated(p["staff_actor"], _added(Tag(name="delivery")))),
    "tag_updated": _audited(lambda p, idea: TagUpdated(p["staff_actor"], _added(Tag(name="delivery")),
                                                       {"name": "shipping", "colour": "grey"})),
    "idea_tagged": _audited(lambda p, idea: IdeaTagged(p["staff_actor"], idea, {"tags": []})),
    "idea_untagged": _audited(lambda p, idea: IdeaUntagged(p["staff_actor"], idea, {"tags": ["delivery"]})),
    "role_changed": _audited(lambda p, idea: RoleChanged(p["staff_actor"], p["staff_reader"],
                                                         {"role": "member"})),
    "customer_vote": _audited(lambda p, idea: CustomerVoteRecorded(p["staff_actor"], idea, "c@example.com",
                                                                   True, True)),
    "invitation_sent": _audited(lambda p, idea: InvitationSent(p["staff_actor"], _invitation(p))),
    "invitation_renewed": _audited(lambda p, idea: InvitationRenewed(p["staff_actor"], _invitation(p))),
    "invitation_revoked": _audited(lambda p, idea: InvitationRevoked(p["staff_actor"], _invitation(p))),
    "settings_changed": _audited(lambda p, idea: SiteRulesChanged(p["staff_actor"],
                                                                  {"approve_first_idea": False},
                                                                  {"approve_first_idea": True})),
    "access_changed": _audited(lambda p, idea: AccessRulesChanged(p["staff_actor"], {"private_mode": "0"},
                                                                  {"private_mode": "1"})),
    "branding_changed": _audited(lambda p, idea: BrandingChanged(p["staff_actor"], {"site_name": ""},
                                                                 {"site_name": "Acme ideas"})),
    "webhook_created": _audited(lambda p, idea: WebhookCreated(p["staff_actor"], _endpoint(p))),
    "webhook_changed": _audited(lambda p, idea: WebhookChanged(p["staff_actor"], _endpoint(p),
                                                               {"active": True}, {"active": False})),
    "webhook_enabled": _audited(lambda p, idea: WebhookEnabled(p["staff_actor"], _endpoint(p))),
    "webhook_disabled": _audited(lambda p, idea: WebhookDisabled(p["staff_actor"], _endpoint(p))),
    "webhook_deleted": _audited(lambda p, idea: WebhookDeleted(p["staff_actor"], _endpoint(p),
                                                               {"url": "https://hooks.example.com/ideas"})),
    "sso_changed": _audited(lambda p, idea: SsoSettingsChanged(p["staff_actor"], {"oidc_issuer": ""},
                                                               {"oidc_issuer": "https://login.example"})),
    "product_secret_created": _audited(lambda p, idea: ProductSecretCreated(p["staff_actor"], _secret(p))),
    "product_secret_retired": _audited(lambda p, idea: ProductSecretRetired(
        p["staff_actor"], _secret(p), {"kid": "20261205-abc123", "live": True})),
    "csv_imported": _audited(lambda p, idea: CsvImported(p["staff_actor"], {"ideas": 2, "votes": 5})),
    "company_created": _audited(lambda p, idea: CompanyCreated(p["staff_actor"], _company(), "staff", {},
                                                               {"name": "Acme"})),
    "company_updated": _audited(lambda p, idea: CompanyUpdated(p["staff_actor"], _company(), "api",
                                                               {"plan": "Pro"}, {"plan": "Enterprise"})),
    "company_membership": _audited(lambda p, idea: CompanyMembershipChanged(p["staff_actor"], p["commenter"],
                                                                            "staff", None, "acme-7")),
    "segment_created": _audited(lambda p, idea: SegmentCreated(p["staff_actor"], _segment())),
    "segment_updated": _audited(lambda p, idea: SegmentUpdated(p["staff_actor"], _segment(),
                                                               {"name": "Big"})),
    "segment_deleted": _audited(lambda p, idea: SegmentDeleted(p["staff_actor"], _segment(),
                                                               {"name": "Big"})),
    "board_created": _audited(lambda p, idea: BoardCreated(p["staff_actor"], _board())),
    "board_updated": _audited(lambda p, idea: BoardUpdated(p["staff_actor"], _board(),
                                                           {"access": "public"})),
    "board_deleted": _audited(lambda p, idea: BoardDeleted(p["staff_actor"], _board(),
                                                           {"name": "Partners"})),
    "idea_moved": _audited(lambda p, idea: IdeaMoved(p["staff_actor"], idea, "", "Partners")),
    "statuses_changed": _audited(lambda p, idea: StatusesChanged(p["staff_actor"], {"statuses": "[]"},
                                                                 {"statuses": "[]", "order": False})),
}
# What an audit entry may name as its target: a row of these tables, the site, or an import.
AUDIT_TARGETS = {"ideas", "comments", "users", "tags", "invitations", "webhook_endpoints", "product_secrets",
                 "changelog_entries", "announcements", "site", "csv_import", "companies", "segments",
                 "boards"}
READERS = ("reader", "staff_reader")


def test_every_registered_kind_has_a_sample_here():
    assert sorted(kind.name for kind in registered_kinds()) == sorted(SAMPLES)


@pytest.fixture
def people(make_user):
    """The author, two readers who back and follow at "all activity", and the actors."""
    return dict(author=make_user(), reader=make_user(), staff_reader=make_user(role="staff"),
                staff_actor=make_user(role="staff"), commenter=make_user())


@pytest.fixture
def arranged(app, people, make_idea):
    """An idea both readers back and follow at every level of detail."""
    idea = make_idea(title=TITLE, author=people["author"])
    with app.app_context():
        for name in READERS:
            member = db.session.get(User, people[name].id)
            stored = db.session.get(Idea, idea.id)
            cast_vote(member, stored)
            follow_idea(member, stored)
            set_follow_level(member, stored, "all")
        db.session.commit()
    return idea


def _readers_row(event_row, member):
    if event_row is None:
        return None
    return db.session.execute(select(OutboxRow).where(OutboxRow.event_id == event_row.id,
                                                      OutboxRow.user_id == member.id)).scalar_one_or_none()


def _check_email(kind, row, member, link, language):
    """The email's subject and both parts say what the kind says, in `language`: what a member
    wrote in Markdown reads as plain words in the summary and the text part, and shows as its
    stored HTML in the HTML part, beside the summary without it."""
    member.locale = language
    message = compose_notification_email(member, [row])
    data = payload_of(row.event)
    with force_locale(language):
        said = summary(kind.name, data)
        headline = summary(kind.name, data, quoting=False)
        subject = kind.subject(data)
    assert said and "%(" not in said and subject and "%(" not in subject
    assert message["subject"] == f"[Ideas] {subject}"
    assert TITLE in message["text_body"] and said in message["text_body"] and link in message["text_body"]
    assert "**" not in said and "**" not in message["text_body"]
    assert "Export &lt;to&gt; CSV &amp; Excel" in message["html_body"] and TITLE not in message["html_body"]
    assert f'href="{link}"' in message["html_body"] and str(escape(headline)) in message["html_body"]
    markdown = [key.removesuffix("_html") for key in data if key.endswith("_html")]
    declared = [key for key in (kind.quote, kind.context_quote) if key is not None]
    assert sorted(markdown) == (sorted(declared) if markdown else []), \
        "a kind quoting Markdown declares it as `quote` (or `context_quote`)"
    for key in markdown:
        assert data[f"{key}_html"] in message["html_body"] and "**" not in message["html_body"]
    return subject


def _check_webhook(kind, event, idea_id):
    """The webhook's label reads in each language and its body is JSON naming the idea."""
    labels = set()
    for language in LANGUAGES:
        with force_locale(language):
            labels.add(str(kind.webhook.label))
            body = json.loads(event_body(kind.webhook.name, webhook_json(kind.webhook.data(event)), utcnow()))
        assert body["event"] == kind.webhook.name
        ideas = [value for value in body["data"].values() if isinstance(value, dict) and "title" in value]
        assert idea_id in [value["id"] for value in ideas]
    assert len(labels) == len(LANGUAGES)  # translated, not English twice


def _sample(people, idea_id, kind):
    """The kind's sample event, on the arranged idea, with the people as stored."""
    return SAMPLES[kind.name]({name: db.session.get(User, person.id) for name, person in people.items()},
                              db.session.get(Idea, idea_id))


@pytest.mark.parametrize("hidden", ["nothing", "idea", "comment"])
@pytest.mark.parametrize("kind", [kind for kind in registered_kinds() if kind.audience or kind.webhook],
                         ids=lambda kind: kind.name)
def test_kind_reads_right_for_every_reader_in_every_language(app, people, arranged, kind, hidden):
    with app.app_context(), app.test_request_context():
        event, comment = _sample(people, arranged.id, kind)
        idea = db.session.get(Idea, arranged.id)
        if hidden == "idea":
            idea.hidden_at = utcnow()
        event_row = publish(event)
        if hidden == "comment" and comment is not None:
            comment.hidden_at = utcnow()
        db.session.flush()
        if kind.webhook is not None:
            _check_webhook(kind, event, idea.id)
        if kind.audience is None:
            assert event_row is None
            return
        endpoint, values = kind.link(idea.id, payload_of(event_row))
        link = external_url(endpoint, **values)
        for name in READERS:
            member = db.session.get(User, people[name].id)
            row = _readers_row(event_row, member)
            hidden_from_them = not member.is_staff and (hidden == "idea" or (hidden == "comment" and comment))
            if hidden_from_them:
                assert row is None or db.session.execute(
                    select(hidden_from_member(event_row.id, member.id))).scalar()
                continue
            assert row is not None, f"{name} was not told"
            subjects = {_check_email(kind, row, member, link, language) for language in LANGUAGES}
            assert len(subjects) == len(LANGUAGES)  # the German subject is German
        db.session.rollback()


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("kind", [kind for kind in registered_kinds() if kind.audit],
                         ids=lambda kind: kind.name)
def test_kind_writes_its_audit_entry_and_tells_only_whom_it_names(app, people, arranged, kind):
    with app.app_context(), app.test_request_context():
        event, _ = _sample(people, arranged.id, kind)
        told_before = (_count(Event), _count(OutboxRow), _count(WebhookDelivery))
        publish(event)
        [entry] = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == kind.audit.action)).scalars()
        target, _, _ = kind.audit.entry(event)
        assert entry.actor_id == people["staff_actor"].id and entry.target_type in AUDIT_TARGETS
        assert entry.target_id == getattr(target, "id", None)
        before, after = json.loads(entry.before), json.loads(entry.after)
        assert isinstance(before, dict) and isinstance(after, dict) and (before or after)
        if kind.audience is None and kind.webhook is None:
            assert (_count(Event), _count(OutboxRow), _count(WebhookDelivery)) == told_before
        db.session.rollback()
