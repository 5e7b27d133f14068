"""Who may come in: private mode, who may sign up, invitations, one-time sign-in codes, feed tokens.

Nothing here knows about HTTP. Codes are kept only as a keyed SHA-256 hash; invitation links and
feed links are signed with the secret key, so the database alone gives neither away.

One module each: `rules` (private mode and the sign-up rule), `invitations`, `sign_in_codes` and
`feed_tokens`. The names the rest of the app uses are re-exported here.
"""
from .feed_tokens import feed_token, member_from_feed_token, regenerate_feed_token
from .invitations import (
    INVITATION_LIFETIME, invitation_from_token, invitation_token, invitations, invite, pending_invitation,
    revoke_invitation,
)
from .rules import SIGNUP_MODES, access_rules, sign_up_member, update_access_rules
from .sign_in_codes import (
    CODE_LIFETIME, CODE_MAX_TRIES, CODES_PER_HOUR, issue_sign_in_code, redeem_sign_in_code,
    withdraw_sign_in_code,
)

__all__ = [
    "CODES_PER_HOUR", "CODE_LIFETIME", "CODE_MAX_TRIES", "INVITATION_LIFETIME", "SIGNUP_MODES",
    "access_rules", "feed_token", "invitation_from_token", "invitation_token", "invitations", "invite",
    "issue_sign_in_code", "member_from_feed_token", "pending_invitation", "redeem_sign_in_code",
    "regenerate_feed_token", "revoke_invitation", "sign_up_member", "update_access_rules",
    "withdraw_sign_in_code",
]
