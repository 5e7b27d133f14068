"""Who may come in: private mode, and who may sign up (anyone, some domains, or by invitation)."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _, lazy_gettext as _l

from .. import accounts, audit
from ..errors import InvalidInput, NotAllowed
from ..events import AccessRulesChanged, changed_values
from ..events.publish import publish
from ..extensions import db
from ..models import Invitation, User, utcnow
from ..site_settings import get_settings, set_setting, settings_snapshot

SIGNUP_MODES = {
    "open": _l("Anyone may sign up"),
    "domains": _l("Only addresses at the domains below (and people staff invite)"),
    "invitation": _l("Only people staff invite"),
}
DOMAINS_MAX = 50
DOMAIN_SHAPE = re.compile(
    r"(?=.{4,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
ACCESS_KEYS = ("private_mode", "signup_mode", "allowed_domains")


@dataclass(frozen=True)
class AccessRules:
    """Whether the site is private, and who may sign up."""

    private: bool
    signup_mode: str
    allowed_domains: tuple[str, ...]

    @property
    def signup_open_to_all(self) -> bool:
        return self.signup_mode == "open"


def access_rules() -> AccessRules:
    """The rules in force (from the settings read once per request or worker pass)."""
    values = settings_snapshot()
    return AccessRules(private=values["private_mode"] == "1", signup_mode=values["signup_mode"],
                       allowed_domains=tuple(values["allowed_domains"].split()))


def parse_domains(text: str | None) -> list[str]:
    """The domain names in `text` (separated by spaces, commas or lines), lower-cased, each once.

    Raises InvalidInput naming the first entry that is not a domain name.
    """
    found: list[str] = []
    for entry in re.split(r"[\s,;]+", (text or "").strip().lower()):
        if not entry:
            continue
        entry = entry.removeprefix("@")
        if not DOMAIN_SHAPE.fullmatch(entry):
            raise InvalidInput(_("Please correct the domains."), {
                "allowed_domains": _("“%(entry)s” is not a domain name like example.com.", entry=entry[:80])})
        if entry not in found:
            found.append(entry)
    if len(found) > DOMAINS_MAX:
        raise InvalidInput(_("Too many domains."),
                           {"allowed_domains": _("List at most %(limit)s domains.", limit=DOMAINS_MAX)})
    return found


def update_access_rules(actor: User, private: bool, signup_mode: str, domains_text: str | None) -> list[str]:
    """Set private mode and who may sign up; audited. Restricting to domains needs at least one."""
    audit.require_admin(actor)
    if signup_mode not in SIGNUP_MODES:
        raise InvalidInput(_("Choose who may sign up."), {"signup_mode": _("Choose one of the options.")})
    domains = parse_domains(domains_text)
    if signup_mode == "domains" and not domains:
        raise InvalidInput(_("Name the domains."), {
            "allowed_domains": _("Name at least one domain, or choose another sign-up rule.")})
    before = get_settings(*ACCESS_KEYS)
    set_setting("private_mode", "1" if private else "0")
    set_setting("signup_mode", signup_mode)
    set_setting("allowed_domains", "\n".join(domains))
    before, after = changed_values(before, get_settings(*ACCESS_KEYS))
    if after:
        publish(AccessRulesChanged(actor, before, after))
    return list(after)


# Signing up.

def ensure_may_sign_up(email: str, invitation: Invitation | None = None) -> None:
    """Raise unless `email` may make an account under the sign-up rule (an invitation always may)."""
    if invitation is not None and accounts.normalise_email(email) == invitation.email:
        return
    rules = access_rules()
    if rules.signup_mode == "invitation":
        raise NotAllowed(_("Joining this site is by invitation only. Ask its team to invite you."))
    if rules.signup_mode == "domains":
        domain = accounts.normalise_email(email).rpartition("@")[2]
        if domain not in rules.allowed_domains:
            raise InvalidInput(_("This address may not sign up."), {
                "email": _("Only addresses at %(domains)s may sign up here.",
                           domains=', '.join(rules.allowed_domains))})


def sign_up_member(name: str, email: str, password: str, invitation: Invitation | None = None,
                   handle: str | None = None) -> User:
    """Create an account if the sign-up rule allows it; an invitation is accepted by it. `handle`:
    the @handle chosen (blank: derived from the name)."""
    ensure_may_sign_up(email, invitation)
    member = accounts.sign_up(name, email, password, handle)
    if invitation is not None:
        accounts.confirm_email(member)  # the link reached this inbox
        invitation.accepted_at = utcnow()
        invitation.accepted_by_id = member.id
        db.session.flush()
    return member
