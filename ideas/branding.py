"""The site's face: its name, logo, accent colour and welcome text, chosen by admins.

Nothing here knows about HTTP. The logo's bytes live in the database (a SiteAsset row), since the
app's machines share nothing else; its digest names it, so a new logo is a new URL.
"""
import hashlib
import re
from dataclasses import dataclass
from xml.parsers import expat

from flask import current_app
from flask_babel import gettext as _

from . import audit
from .errors import InvalidInput
from .events import BrandingChanged, changed_values
from .events.publish import publish
from .extensions import db
from .i18n import format_count
from .models import SiteAsset, User, utcnow
from .sanitize import render_markdown
from .site_settings import get_settings, set_setting, settings_snapshot

SITE_NAME_MAX = 60
WELCOME_MAX = 2000
LOGO_MAX_BYTES = 200 * 1024
ACCENT_SHAPE = re.compile(r"#[0-9a-fA-F]{6}")
# Text and links in the accent colour must stay readable (WCAG AA) on the stylesheet's light
# backgrounds (static/css/ideas.css: --surface, --bg, --surface-2) ...
LIGHT_BACKGROUNDS = ("#ffffff", "#f4f5f8", "#f0f2f6")
# ... and the dark theme gets a lighter shade of it that is readable on its backgrounds.
DARK_BACKGROUNDS = ("#0e1218", "#171c25", "#1f2531")
LIGHT_TEXT, DARK_TEXT = "#ffffff", "#0b1020"
MIN_CONTRAST = 4.5
# What the audit log compares (welcome_html follows from welcome_markdown).
BRANDING_KEYS = ("site_name", "accent_colour", "welcome_markdown", "logo")

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Shapes, text, gradients and grouping: enough for a logo, nothing that runs or fetches. No
# <style> (nor style attributes): filtering CSS misses escapes like u\72l() and each new way to
# fetch, such as image-set(), so logos use presentation attributes (fill="…") instead.
SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask",
    "symbol", "use",
})
# Presentation attributes are CSS values too: these are the functions a logo's attributes need
# (url() only to a #fragment of the file itself); any other function could fetch something.
SVG_FUNCTIONS = frozenset({
    "url", "rgb", "rgba", "hsl", "hsla", "matrix", "translate", "scale", "rotate", "skewx", "skewy",
})
CSS_FUNCTION = re.compile(r"([\w-]*)\(")
LOGO_KINDS = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class Brand:
    """What pages and emails show of the site's branding."""

    name: str
    accent: str
    welcome_html: str
    logo: str

    @property
    def theme_version(self) -> str:
        """Part of the stylesheet's URL: changes when the accent does ("" when there is none)."""
        return hashlib.sha256(self.accent.encode()).hexdigest()[:12] if self.accent else ""

    @property
    def logo_version(self) -> str:
        """Part of the logo's URL: the start of its digest."""
        return self.logo.partition(".")[0][:16]


def current_brand() -> Brand:
    """The branding in force (read with the other settings, once per request or worker pass)."""
    values = settings_snapshot()
    return Brand(name=values["site_name"] or current_app.config["SITE_NAME"],
                 accent=values["accent_colour"], welcome_html=values["welcome_html"], logo=values["logo"])


def site_name() -> str:
    """The site's name: the admins' choice, else SITE_NAME from the environment."""
    return settings_snapshot()["site_name"] or current_app.config["SITE_NAME"]


def update_branding(actor: User, name: str | None, accent: str | None, welcome: str | None,
                    logo: bytes | None = None, remove_logo: bool = False) -> list[str]:
    """Set the name, accent colour ("" for the default) and welcome text; store a new logo (bytes)
    or remove it. Every problem is named at once; the change is audited."""
    audit.require_admin(actor)
    problems: dict[str, str] = {}
    name = " ".join((name or "").split())
    if len(name) > SITE_NAME_MAX or "\x00" in name:
        problems["site_name"] = _("Use at most %(limit)s characters (or none for “%(default_name)s”).",
                                  limit=SITE_NAME_MAX, default_name=_default_name())
    accent = (accent or "").strip().lower()
    if accent:
        problem = accent_problem(accent)
        if problem:
            problems["accent_colour"] = problem
    welcome = (welcome or "").strip()
    if len(welcome) > WELCOME_MAX or "\x00" in welcome:
        problems["welcome"] = _("Use at most %(limit)s characters.", limit=WELCOME_MAX)
    kind = None
    if logo is not None:
        kind, problem = logo_kind(logo)
        if problem:
            problems["logo"] = problem
    if problems:
        raise InvalidInput(_("Please correct the branding."), problems)

    before = get_settings(*BRANDING_KEYS)
    set_setting("site_name", name)
    set_setting("accent_colour", accent)
    set_setting("welcome_markdown", welcome)
    set_setting("welcome_html", render_markdown(welcome) if welcome else "")
    if logo is not None:
        assert kind is not None  # logo_kind named it, else a problem was raised above
        set_setting("logo", _store_logo(logo, kind))
    elif remove_logo:
        asset = db.session.get(SiteAsset, "logo")
        if asset is not None:
            db.session.delete(asset)
        set_setting("logo", "")
    before, after = changed_values(before, get_settings(*BRANDING_KEYS))
    if after:
        publish(BrandingChanged(actor, before, after))
    return list(after)


def _default_name() -> str:
    return current_app.config["SITE_NAME"]


# The accent colour.

def _luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.2) of "#rrggbb"."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two "#rrggbb" colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def accent_problem(accent: str) -> str | None:
    """Why `accent` cannot be the accent colour, or None."""
    if not ACCENT_SHAPE.fullmatch(accent):
        return _("Enter a colour as # and six hexadecimal digits, like #3151c6.")
    worst = min(contrast(accent, background) for background in LIGHT_BACKGROUNDS)
    if worst < MIN_CONTRAST:
        return _("This colour is too light to read on the page (%(contrast)s:1; links need %(needed)s:1). "
                 "Choose a darker shade.", contrast=format_count(round(worst, 1)),
                 needed=format_count(MIN_CONTRAST))
    return None


def _mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` (0..1) of `other` mixed in."""
    return "#" + "".join(
        f"{round(int(colour[i:i + 2], 16) * (1 - share) + int(other[i:i + 2], 16) * share):02x}"
        for i in (1, 3, 5))


def dark_shade(accent: str) -> str:
    """The accent lightened just enough to read on the dark theme's backgrounds."""
    for step in range(21):
        shade = _mix(accent, "#ffffff", step / 20)
        if min(contrast(shade, background) for background in DARK_BACKGROUNDS) >= MIN_CONTRAST:
            return shade
    return "#ffffff"


def text_on(colour: str) -> str:
    """White or near-black, whichever reads better on `colour`."""
    return max((LIGHT_TEXT, DARK_TEXT), key=lambda text: contrast(text, colour))


def theme_css(accent: str) -> str:
    """The stylesheet that applies the accent colour in both themes."""
    dark = dark_shade(accent)
    return (
        "/* The accent colour chosen in the site settings. */\n"
        f":root {{ --accent: {accent}; --accent-text: {text_on(accent)}; --focus: {accent}; }}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent: {dark}; --accent-text: {text_on(dark)}; --focus: {dark}; }}\n"
        "}\n"
    )


# The logo.

def logo_kind(data: bytes | None) -> tuple[str, None] | tuple[None, str]:
    """("png" | "jpg" | "svg", None) for an acceptable logo, else (None, the problem)."""
    if not data:
        return None, _("Choose an image file.")
    if len(data) > LOGO_MAX_BYTES:
        return None, _("The logo may be at most %(size)s KB; this file is larger.",
                       size=LOGO_MAX_BYTES // 1024)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", None
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", None
    if b"<svg" in data[:4096]:
        problem = svg_problem(data)
        return (None, problem) if problem else ("svg", None)
    return None, _("Upload a PNG, JPEG or SVG image.")


class _Refused(Exception):
    """Raised by the SVG parser's handlers to stop at the first part we do not accept."""


def _refusal() -> str:
    """What an admin is told when the SVG holds a part we do not accept."""
    return _("This SVG holds scripts, links or parts we do not accept; export it as plain SVG or PNG.")


def svg_problem(data: bytes) -> str | None:
    """Why an SVG file cannot be the logo (it could run scripts or fetch things), or None.

    The file is parsed and each part checked against an allow-list; nothing is rewritten: a file
    that is not plainly safe is refused, so what is stored is what the admin uploaded.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _("Save the SVG file as UTF-8.")
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")  # "namespace local"
    root_seen = False

    def start_element(name: str, attributes: dict[str, str]) -> None:
        nonlocal root_seen
        if not root_seen and name != f"{SVG_NAMESPACE} svg":
            raise _Refused(_("Upload a PNG, JPEG or SVG image."))
        root_seen = True
        if _element_problem(name, attributes):
            raise _Refused(_refusal())

    def refuse(*_args: object) -> None:
        raise _Refused(_refusal())

    parser.StartElementHandler = start_element
    # A DOCTYPE can declare entities (billion laughs, external files); processing instructions
    # such as <?xml-stylesheet?> fetch CSS. The XML declaration is not one, so it passes.
    parser.StartDoctypeDeclHandler = refuse
    parser.ProcessingInstructionHandler = refuse
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        return str(refused)
    except expat.ExpatError:
        return _("This SVG file is not well-formed.")
    return None


def _element_problem(name: str, attributes: dict[str, str]) -> bool:
    """True when an element is not a plain SVG shape or holds an attribute that runs or fetches."""
    namespace, _space, local = name.rpartition(" ")
    if namespace != SVG_NAMESPACE or local not in SVG_ELEMENTS:
        return True
    for attribute, value in attributes.items():
        attribute_name = attribute.rpartition(" ")[2].lower()
        if attribute_name.startswith("on") or attribute_name == "style" or _unsafe_value(value):
            return True
        if attribute_name == "href" and not value.startswith("#"):
            return True
    return False


def _unsafe_value(value: str) -> bool:
    """True when an attribute's value could run or fetch something read as CSS."""
    if "\\" in value or "javascript:" in value.lower():
        return True  # a backslash starts a CSS escape, which would hide a function's name
    for call in CSS_FUNCTION.finditer(value):
        function = call.group(1).lower()
        if function and function not in SVG_FUNCTIONS:
            return True
        if function == "url" and not value[call.end():].lstrip(" \t\n'\"").startswith("#"):
            return True
    return False


def _store_logo(data: bytes, kind: str) -> str:
    """Keep the logo's bytes; returns the setting's value, "<digest>.<kind>"."""
    digest = hashlib.sha256(data).hexdigest()
    asset = db.session.get(SiteAsset, "logo")
    if asset is None:
        asset = SiteAsset(name="logo")
        db.session.add(asset)
    asset.content_type, asset.data, asset.digest, asset.updated_at = LOGO_KINDS[kind], data, digest, utcnow()
    return f"{digest}.{kind}"


def logo_asset(filename: str | None) -> SiteAsset | None:
    """The stored logo when `filename` names the current one, else None."""
    if not filename or filename != settings_snapshot()["logo"]:
        return None
    return db.session.get(SiteAsset, "logo")
