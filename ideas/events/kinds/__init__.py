"""The event kinds of Ideas: one typed event and one registry entry each, a module per area.

Importing this package registers every kind, in this order (webhooks are listed in it); rules
import their typed events from ideas.events. A rule builds the typed event after its flush and
publishes it (ideas/events/publish.py). Summaries and subjects read the stored payload, in the
reader's language at reading time. Models appear only as types: these modules must import
without the models (see registry).
"""
from .common import changed_values
from .ideas import (
    CommentPosted, IdeaCreated, IdeaEditedByStaff, IdeaMerged, IdeaUnmerged, IdeaWeighed, IdeaWithdrawn,
    Mentioned, OfficialResponse, StatusChanged, VoteCast, VoteImportanceChanged, VoteWithdrawn, edited_view,
)
from .news import (
    Announced, ChangelogEntryCreated, ChangelogEntryPublished, ChangelogEntryUpdated, ChangelogPublished,
    entry_view, expected_day,
)
from .moderation import (
    CommentHidden, CommentUnhidden, Flagged, IdeaApproved, IdeaHidden, IdeaUnhidden, MemberSuspended,
    MemberUnsuspended,
)
from .staff import (
    CustomerVoteRecorded, IdeaTagged, IdeaUntagged, InvitationRenewed, InvitationRevoked, InvitationSent,
    RoleChanged, TagCreated, TagUpdated, role_view, tag_view, tags_view,
)
from .admin import (
    AccessRulesChanged, AnswerPromiseChanged, BrandingChanged, CsvImported, PriorityWeightsChanged,
    ProductSecretCreated, ProductSecretRetired, StatusesChanged,
    SiteRulesChanged, SsoSettingsChanged, WebhookChanged, WebhookCreated, WebhookDeleted, WebhookDisabled,
    WebhookEnabled, endpoint_view, secret_view,
)
from .boards import BoardCreated, BoardDeleted, BoardUpdated, IdeaMoved, board_view
from .conversation import ReplyPosted
from .companies import (
    CompanyCreated, CompanyMembershipChanged, CompanyUpdated, SegmentCreated, SegmentDeleted, SegmentUpdated,
    segment_view,
)

__all__ = [
    "changed_values",
    # ideas
    "CommentPosted", "IdeaCreated", "IdeaEditedByStaff", "IdeaMerged", "IdeaUnmerged", "IdeaWithdrawn",
    "Mentioned", "OfficialResponse", "StatusChanged", "VoteCast", "VoteImportanceChanged", "edited_view",
    "IdeaWeighed", "VoteWithdrawn",
    # news
    "Announced", "ChangelogEntryCreated", "ChangelogEntryPublished", "ChangelogEntryUpdated",
    "ChangelogPublished", "entry_view", "expected_day",
    # moderation
    "CommentHidden", "CommentUnhidden", "Flagged", "IdeaApproved", "IdeaHidden", "IdeaUnhidden",
    "MemberSuspended", "MemberUnsuspended",
    # staff
    "CustomerVoteRecorded", "IdeaTagged", "IdeaUntagged", "InvitationRenewed", "InvitationRevoked",
    "InvitationSent", "RoleChanged", "TagCreated", "TagUpdated", "role_view", "tag_view", "tags_view",
    # admin
    "AccessRulesChanged", "AnswerPromiseChanged", "BrandingChanged", "CsvImported", "PriorityWeightsChanged",
    "ProductSecretCreated", "ProductSecretRetired", "StatusesChanged",
    "SiteRulesChanged", "SsoSettingsChanged", "WebhookChanged", "WebhookCreated", "WebhookDeleted",
    "WebhookDisabled", "WebhookEnabled", "endpoint_view", "secret_view",
    # companies and segments
    "CompanyCreated", "CompanyMembershipChanged", "CompanyUpdated", "SegmentCreated", "SegmentDeleted",
    "SegmentUpdated", "segment_view",
    # boards
    "BoardCreated", "BoardDeleted", "BoardUpdated", "IdeaMoved", "board_view",
    # conversation
    "ReplyPosted",
]
