""""#19" in text staff write becomes a link to idea 19, in the sanitised HTML of that text.

People write "see #19" and expect a link, as on GitHub. The links are added to HTML that
ideas/sanitize.py made, in its text only (never inside a link, code or an attribute), and the
result goes through the sanitiser again, so nothing here can let markup through.
"""
import html
import re
from collections.abc import Callable

from .sanitize import clean_html

# A tag, with quoted attribute values that may hold ">".
_TAG = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")
# "#19", not "C#19", "##19" or "/#19" (part of a word, a heading mark or an address).
REFERENCE = re.compile(r"(?<![\w#/])#(\d{1,10})\b")
_NO_LINKS_INSIDE = ("a", "code", "pre")


def referenced_ids(html_text: str) -> list[int]:
    """The idea numbers "#N" names in the text of `html_text`, in order, each once."""
    found: dict[int, None] = {}
    for text in _texts(html_text):
        found.update((int(match[1]), None) for match in REFERENCE.finditer(text))
    return list(found)


def link_references(html_text: str, href: Callable[[int], str | None]) -> str:
    """`html_text` with each "#N" whose `href(N)` is an address made a link there (None: left as text)."""
    out = []
    for part, linkable in _parts(html_text):
        if linkable:
            part = REFERENCE.sub(lambda match: _link(match, href), part)
        out.append(part)
    return clean_html("".join(out))


def _link(match: re.Match[str], href: Callable[[int], str | None]) -> str:
    address = href(int(match[1]))
    if address is None:
        return match[0]
    return f'<a href="{html.escape(address)}">{match[0]}</a>'


def _texts(html_text: str) -> list[str]:
    return [part for part, linkable in _parts(html_text) if linkable]


def _parts(html_text: str) -> list[tuple[str, bool]]:
    """(piece, True for text outside links and code) of `html_text`, in order."""
    parts: list[tuple[str, bool]] = []
    depth = 0
    for piece in _TAG.split(html_text):
        if piece.startswith("<") and _TAG.fullmatch(piece):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name and name[1].lower() in _NO_LINKS_INSIDE and not piece.endswith("/>"):
                depth = max(depth - 1, 0) if piece.startswith("</") else depth + 1
            parts.append((piece, False))
        elif piece:
            parts.append((piece, depth == 0))
    return parts
