"""The data model, one module per area."""
from .account_mail import ACCOUNT_EMAIL_KINDS, AccountEmail
from .access import Invitation, SignInCode, SiteAsset, Throttle
from .attachment import ATTACHMENT_TYPES, STORAGE_KEY_MAX, Attachment, StoredFile
from .activity import COMMENT_MAX, IMPORTANCES, VOTE_NOTE_MAX, Comment, Follow, Vote
from .company import (
    ATTRIBUTE_NAME_MAX, ATTRIBUTE_TEXT_MAX, COMPANY_NAME_MAX, EXTERNAL_ID_MAX, SEGMENT_MATCHES,
    SEGMENT_NAME_MAX, SOURCES, Company, CompanyAttribute, CompanyMember, Segment,
)
from .board import (
    BOARD_ACCESS, BOARD_DESCRIPTION_MAX, BOARD_NAME_MAX, BOARD_SLUG_MAX, Board, board_companies,
    board_moderators, board_segments,
)
from .changelog import (
    ANNOUNCEMENT_TARGETS, ENTRY_TITLE_MAX, Announcement, ChangelogEntry, changelog_entry_ideas,
)
from .idea import (
    DESCRIPTION_MAX, KIND_LABELS, KINDS, STATUS_MAX, TITLE_MAX, Idea, Tag, idea_tags,
)
from .identity import Identity
from .integration import (
    DELIVERY_STATES, IMPORT_KINDS, WEBHOOK_EVENTS, ApiKey, ImportedRecord, WebhookDelivery, WebhookEndpoint,
)
from .notify import EMAIL_STATES, EVENT_KINDS, Event, Notification, OutboxRow
from .priority import SCALE, IdeaPriority
from .product_token import PRODUCT_ISSUER, ProductSecret, UsedProductToken
from .site import Setting
from .staff import TIMELINE_ACTIONS, AuditEntry, Merge, MergeLedgerRow, TimelineEntry
from .types import utcnow
from .user import EMAIL_MODES, HANDLE_MAX, ROLES, SignedInSession, User

__all__ = [
    "ACCOUNT_EMAIL_KINDS", "AccountEmail",
    "COMMENT_MAX", "IMPORTANCES", "VOTE_NOTE_MAX",
    "Comment", "Follow", "Vote", "DESCRIPTION_MAX", "KIND_LABELS", "KINDS",
    "STATUS_MAX", "TITLE_MAX", "Idea", "Tag",
    "idea_tags", "Setting", "TIMELINE_ACTIONS", "AuditEntry", "Merge", "MergeLedgerRow",
    "TimelineEntry", "EMAIL_STATES", "EVENT_KINDS", "Event", "Notification", "OutboxRow",
    "EMAIL_MODES", "utcnow", "ROLES", "User", "ANNOUNCEMENT_TARGETS", "ENTRY_TITLE_MAX",
    "Announcement", "ChangelogEntry", "changelog_entry_ideas", "DELIVERY_STATES", "IMPORT_KINDS",
    "WEBHOOK_EVENTS", "ApiKey", "ImportedRecord", "WebhookDelivery", "WebhookEndpoint",
    "Invitation", "SignInCode", "SiteAsset", "Throttle", "SignedInSession", "Identity",
    "PRODUCT_ISSUER", "ProductSecret", "UsedProductToken", "SCALE", "IdeaPriority",
    "ATTRIBUTE_NAME_MAX", "ATTRIBUTE_TEXT_MAX", "COMPANY_NAME_MAX", "EXTERNAL_ID_MAX", "SEGMENT_MATCHES",
    "SEGMENT_NAME_MAX", "SOURCES", "Company", "CompanyAttribute", "CompanyMember", "Segment",
    "BOARD_ACCESS", "BOARD_DESCRIPTION_MAX", "BOARD_NAME_MAX", "BOARD_SLUG_MAX", "Board", "board_companies",
    "board_moderators", "board_segments", "ATTACHMENT_TYPES", "STORAGE_KEY_MAX", "Attachment", "StoredFile",
    "HANDLE_MAX",
]
