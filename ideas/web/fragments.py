"""Rendered fragments kept per process: `{% cache "name", key, ... %}…{% endcache %}` in templates.

A board or roadmap shows the same cards to everyone, request after request; rendering them is most
of a page's work. A cached block is rendered once per key and reused, like Django's `{% cache %}`:

- The key names the rows the block shows by their versions, `versions(idea, comment.author)`: a
  number every write of a row bumps in the database itself (models/types.row_version), ORM flush
  or bulk `update()` alike, so a field added to a template needs no key edit. Plain value rows
  (a RoadmapCard, a CardTag) are their own key. What is not a row comes by value: the reader's own
  vote or rights, a count, `site_key()` for the site's settings. The tag adds what every block
  depends on: the reader's language and time zone, the app's URL prefix, the admins' statuses
  (ideas/status_list.py: a badge anywhere may show one), and the current minute, so
  relative times ("3 minutes ago") stay right and nothing outlives a minute even if a key forgot
  something.
- Nothing per member or per request may be rendered inside a block except through `slot()`: it
  writes a marker that is filled in with the request's own value (the CSRF token, the page to return
  to) each time the block is used. Blocks may nest: an inner block's markers stay until the
  outermost block is used.
- Each app has its own store (tests build many apps), of at most `FRAGMENT_CACHE_SIZE` blocks and
  `FRAGMENT_CACHE_MB` million characters of HTML (a thread of fifty comments is one block of
  about 25,000), least recently used first out. `FRAGMENT_CACHE_SIZE = 0` turns caching off.
"""
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from datetime import tzinfo
from typing import Any

from babel import Locale
from flask import Flask, current_app, g, request, url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup, escape

from ..i18n import babel_locale, reader_zone
from ..site_settings import settings_snapshot


# The per-request values a cached block may contain, by slot name.
SLOTS = {
    "csrf_token": generate_csrf,
    "next": lambda: request.form.get("next") or request.full_path,
    "sign_in_url": lambda: url_for("auth.login", next=request.full_path),
}
_MARK = "\x00"
_in_cached_block = ContextVar("in_cached_block", default=False)


class FragmentStore:
    """At most `size` rendered blocks and `max_chars` characters in all, the least recently used
    dropped first; safe across threads."""

    def __init__(self, size: int, max_chars: float = float("inf")) -> None:
        self.size = size
        self.max_chars = max_chars
        self.chars = 0
        self._blocks: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            html = self._blocks.get(key)
            if html is not None:
                self._blocks.move_to_end(key)
            return html

    def put(self, key: tuple, html: Any) -> None:
        """Keep `html` (a rendered block; or any value, whose size then counts as its len())."""
        if len(html) > self.max_chars:  # would push out everything else; rendered each time instead
            return
        with self._lock:
            replaced = self._blocks.pop(key, None)
            if replaced is not None:
                self.chars -= len(replaced)
            self._blocks[key] = html
            self.chars += len(html)
            while self._blocks and (len(self._blocks) > self.size or self.chars > self.max_chars):
                _, dropped = self._blocks.popitem(last=False)
                self.chars -= len(dropped)

    def __len__(self) -> int:
        return len(self._blocks)


class FragmentCacheExtension(Extension):
    """The `{% cache %}` tag: a name and key expressions, comma-separated, then the block."""

    tags = {"cache"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        parts = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        key = nodes.Tuple(parts, "load")
        return nodes.CallBlock(self.call_method("_render", [key]), [], [], body).set_lineno(lineno)

    def _render(self, key: tuple, caller: Callable[[], str]) -> Markup:
        store = current_app.extensions.get("fragments")
        if store is None:
            html = _render_marked(caller)
        else:
            key = (key, current_minute()) + _reader_key()
            html = store.get(key)
            if html is None:
                html = _render_marked(caller)
                _check_no_token(html)
                store.put(key, html)
        if _in_cached_block.get():  # inside an outer block: its slots are filled when that is used
            return Markup(html)
        return fill_slots(html)


def for_a_minute(key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept by this app for the rest of the minute under `key` (at most 256 values,
    the least recently used dropped first): for figures costly to compute and harmless to show a
    minute old, such as an inbox's counts by status for a segment over 100,000 ideas. Computed
    each time when FRAGMENT_CACHE_SIZE is 0."""
    if current_app.extensions.get("fragments") is None:
        return compute()
    store = current_app.extensions.setdefault("minute_values", FragmentStore(256))
    key = (key, current_minute())
    value = store.get(key)
    if value is None:
        value = compute()
        store.put(key, value)
    return value


def current_minute() -> int:
    """The minute every key carries, so relative times stay right (a function: tests hold it)."""
    return int(time.time() // 60)


def versions(*rows: Any) -> tuple:
    """The key of the rows a block shows: an ORM row by its table, id and version (changed by every
    write of it), a plain value row (a named tuple of columns) as itself, None as None.

    A model without a `version` column raises here rather than caching it by id alone."""
    return tuple([row if row is None or isinstance(row, tuple) else (row.__tablename__, row.id, row.version)
                  for row in rows])


def site_key() -> tuple:
    """The key of what blocks show of the site's settings (its name, its logo): all of them, as
    read once per request, so a new setting shown in a block needs no key edit."""
    return tuple(settings_snapshot().values())


def _check_no_token(html: str) -> None:
    """Refuse a block that holds the request's CSRF token (a form field rendered by WTForms inside
    a block, say): cached, it would go to other readers."""
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token and token in html:
        raise RuntimeError("A cached block holds this request's CSRF token: write slot('csrf_token') instead")


def _reader_key() -> tuple[Locale, tzinfo, str, str]:
    """The reader's part of every key, worked out once per request, with the admins' statuses (any
    badge may show one: a label, colour or symbol changed shows at once)."""
    try:
        return g._fragment_reader_key
    except AttributeError:
        key = g._fragment_reader_key = (babel_locale(), reader_zone(), request.script_root,
                                        settings_snapshot()["statuses"])
        return key


def _slot_value(name: str) -> str:
    """A slot's value for this request (escaped), worked out once per request."""
    try:
        values = g._fragment_slots
    except AttributeError:
        values = g._fragment_slots = {}
    try:
        return values[name]
    except KeyError:
        value = values[name] = str(escape(SLOTS[name]()))
        return value


def _render_marked(caller: Callable[[], str]) -> str:
    token = _in_cached_block.set(True)
    try:
        return caller()
    finally:
        _in_cached_block.reset(token)


def slot(name: str) -> str:
    """A per-request value: itself outside a cached block, a marker filled in on each use inside."""
    if _in_cached_block.get():
        return Markup(f"{_MARK}{name}{_MARK}")
    return SLOTS[name]()


def fill_slots(html: str) -> Markup:
    if _MARK not in html:
        return Markup(html)
    for name in SLOTS:
        marker = f"{_MARK}{name}{_MARK}"
        if marker in html:
            html = html.replace(marker, _slot_value(name))
    return Markup(html)


def register_fragment_cache(app: Flask) -> None:
    size = int(app.config["FRAGMENT_CACHE_SIZE"])  # defaults and the environment: config.py
    megabytes = float(app.config["FRAGMENT_CACHE_MB"])
    if size > 0:
        app.extensions["fragments"] = FragmentStore(size, int(megabytes * 1_000_000))
    app.jinja_env.add_extension(FragmentCacheExtension)
    app.jinja_env.globals["slot"] = slot
    app.jinja_env.globals["versions"] = versions
    app.jinja_env.globals["site_key"] = site_key
    # csrf_token() in a block is the slot (Flask-WTF's global would put one reader's token in it).
    app.jinja_env.globals["csrf_token"] = lambda: slot("csrf_token")
