"""The site's rules that admins switch on and off: confirming an address before taking part,
holding a new member's first idea for approval, letting webhooks reach private addresses."""
from collections.abc import Mapping

from . import audit
from .events import SiteRulesChanged, changed_values
from .events.publish import publish
from .models import User
from .site_settings import get_setting, set_setting

SITE_RULES = ("require_confirmation", "approve_first_idea", "allow_private_webhooks")


def site_rules() -> dict[str, bool]:
    """Each rule and whether it is on."""
    return {key: get_setting(key) == "1" for key in SITE_RULES}


def update_site_rules(actor: User, chosen: Mapping[str, bool]) -> list[str]:
    """Switch each rule on or off as `chosen` says (a rule left out is off); admins only, audited.
    Returns the rules that changed."""
    audit.require_admin(actor)
    before, after = changed_values(site_rules(), {key: bool(chosen.get(key)) for key in SITE_RULES})
    for key, on in after.items():
        set_setting(key, "1" if on else "0")
    if after:
        publish(SiteRulesChanged(actor, before, after))
    return list(after)
