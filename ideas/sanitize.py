"""The one place user text becomes HTML: Markdown, then nh3's allow-list.

Swapping the sanitiser touches only this module. Templates mark only its output safe.
"""
import html

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
# No `rel` here: nh3 sets it through link_rel and refuses to have both.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# Raw HTML in Markdown is shown as text, not passed through; nh3 then cleans what Markdown made.
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def clean_html(dirty: str) -> str:
    """Keep only allowed tags and attributes; links get rel=nofollow ugc noopener."""
    return nh3.clean(
        dirty,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def markdown_tokens(text: str | None) -> list[Token]:
    """`text` parsed as render_markdown reads it (to tell code from prose), never rendered."""
    return _markdown.parse(text or "")


def render_markdown(text: str | None) -> str:
    """User Markdown to sanitised HTML, computed once when the text is saved."""
    return clean_html(_markdown.render(text or ""))


def plain_text(html_text: str | None, limit: int | None = None) -> str:
    """Text of sanitised HTML without tags, for excerpts; the caller escapes it."""
    text = html.unescape(nh3.clean(html_text or "", tags=set()))
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def markdown_text(text: str | None, limit: int | None = None) -> str:
    """User Markdown as the words a reader sees, on one line: for summaries, subjects and the text
    part of emails, where `**per-key limits**` should read "per-key limits"."""
    return plain_text(render_markdown(text), limit)
