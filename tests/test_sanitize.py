"""User text never becomes markup that runs: a payload corpus in titles, descriptions, comments."""
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from ideas.extensions import db
from ideas.models import TITLE_MAX, Comment, Idea
from ideas.sanitize import clean_html, render_markdown

# The rules checked here live in code, not in the database: one database is enough.
pytestmark = pytest.mark.sqlite_only

LINK_REL = 'rel="nofollow ugc noopener"'

# Sent through the client as title, description and comment.
PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param('<img src=x onerror="alert(1)">', id="img-onerror"),
    pytest.param('<p onclick="alert(1)" onmouseover=alert(2)>hover</p>', id="event-handlers"),
    pytest.param('<a href="javascript:alert(1)">x</a>', id="javascript-href"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">x</a>', id="mixed-case-javascript-href"),
    pytest.param('<a href="&#106;avascript&colon;alert(1)">x</a>', id="entity-javascript-href"),
    pytest.param("[x](javascript:alert(1))", id="markdown-javascript-link"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="markdown-mixed-case-link"),
    pytest.param("[x](&#106;avascript:alert(1))", id="markdown-entity-link"),
    pytest.param("[x](java&#x09;script:alert(1))", id="markdown-tab-entity-link"),
    pytest.param("[x][1]\n\n[1]: javascript:alert(1)", id="markdown-reference-link"),
    pytest.param("![x](javascript:alert(1))", id="markdown-image"),
    pytest.param('<div hx-get="/auth/logout" hx-trigger="load">x</div>', id="hx-get"),
    pytest.param('<button hx-post="/ideas/1/vote" hx-trigger="load">x</button>', id="hx-post"),
    pytest.param('<div hx-on:click="alert(1)" hx-on="click: alert(1)">x</div>', id="hx-on"),
    pytest.param('<div data-hx-get="/x" data-foo="bar">x</div>', id="data-attributes"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attribute"),
    pytest.param("<style>body{display:none}</style>", id="style-tag"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
                 id="mathml-mutation"),
    pytest.param('<img src="x" onerror="alert(1)"', id="unclosed-tag"),
    pytest.param('"><script>alert(1)</script>', id="attribute-breakout"),
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', id="iframe"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object"),
    pytest.param('<form action="javascript:alert(1)"><button>go</button></form>', id="form"),
    pytest.param('<base href="https://evil.example/">', id="base-href"),
    pytest.param('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
                 id="meta-refresh"),
]
# More variants, checked against the sanitiser directly (fast), not through pages.
MORE_PAYLOADS = [
    pytest.param("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", id="script-src"),
    pytest.param("<body onload=alert(1)>", id="body-onload"),
    pytest.param('<a href="&#x6A;&#x61;vascript&#58;alert(1)">x</a>', id="hex-entity-href"),
    pytest.param('<a href=" javascript:alert(1)">x</a>', id="space-javascript-href"),
    pytest.param('<a href="java\tscript:alert(1)">x</a>', id="tab-javascript-href"),
    pytest.param("[x](vbscript:msgbox(1))", id="markdown-vbscript-link"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
                 id="markdown-data-link"),
    pytest.param("<javascript:alert(1)>", id="markdown-autolink"),
    pytest.param('[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
                 id="markdown-title-breakout"),
    pytest.param("```js onload=alert(1)\nalert(1)\n```", id="fenced-code-info-string"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
                 id="svg-xlink"),
    pytest.param("<scr<script>ipt>alert(1)</script>", id="nested-broken-script"),
    pytest.param("<!--<script>alert(1)</script>-->", id="html-comment"),
    pytest.param('<embed src="javascript:alert(1)">', id="embed"),
    pytest.param('<a href="/x" target="_blank" rel="opener">x</a>', id="target-blank-opener"),
    pytest.param("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
                 id="noscript-mutation"),
]

# Tags that never belong in a page made from user text, and the extra ones never inside it.
FORBIDDEN_ANYWHERE = {"iframe", "object", "embed", "applet", "frame", "frameset", "base", "style",
                      "svg", "math", "noscript", "template"}
FORBIDDEN_IN_USER_CONTENT = {"script", "form", "input", "button", "textarea", "select", "img",
                             "meta", "link"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster",
                  "background"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# Where the templates put user text: rendered Markdown (.prose), card titles and excerpts, headings.
USER_CONTENT_CLASSES = {"prose", "card-title", "excerpt"}
USER_CONTENT_TAGS = {"h1", "title"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}


@dataclass
class Element:
    """One start tag seen on the page, with its text and whether user text surrounds it."""

    tag: str
    attrs: list
    in_user_content: bool
    opens_user_content: bool
    text: list = field(default_factory=list)

    @property
    def classes(self):
        return set((dict(self.attrs).get("class") or "").split())

    def text_content(self):
        return " ".join("".join(self.text).split())


class PageAudit(HTMLParser):
    """Reads a page with the stdlib parser and records every element (and its text)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self._open = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, void=tag in VOID_TAGS)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, void=True)

    def _start(self, tag, attrs, void):
        classes = set((dict(attrs).get("class") or "").split())
        element = Element(
            tag=tag,
            attrs=attrs,
            in_user_content=any(e.opens_user_content or e.in_user_content for e in self._open),
            opens_user_content=bool(classes & USER_CONTENT_CLASSES) or tag in USER_CONTENT_TAGS,
        )
        self.elements.append(element)
        if not void:
            self._open.append(element)

    def handle_endtag(self, tag):
        if any(e.tag == tag for e in self._open):
            while self._open.pop().tag != tag:
                pass

    def handle_data(self, data):
        for element in self._open:
            element.text.append(data)

    def texts(self, tag=None, css_class=None):
        """Text content of each element with this tag or class."""
        return [e.text_content() for e in self.elements
                if (tag is None or e.tag == tag) and (css_class is None or css_class in e.classes)]


def _scheme_of(url):
    # Browsers drop whitespace and control characters before reading a scheme.
    return "".join(ch for ch in url if ord(ch) > 32).lower()


def assert_inert(html):
    """Nothing in `html` can run: only the app's own script, no handlers, no style, no js: URLs."""
    audit = PageAudit(html)
    for element in audit.elements:
        where = f"<{element.tag} {element.attrs}>"
        assert element.tag not in FORBIDDEN_ANYWHERE, where
        if element.tag == "script":
            assert (dict(element.attrs).get("src") or "").startswith("/static/"), where
            assert not element.text_content(), where
        if element.tag == "meta":
            assert "http-equiv" not in dict(element.attrs), where
        for name, value in element.attrs:
            assert not name.startswith("on"), where
            assert name != "style", where
            if name in URL_ATTRIBUTES and value:
                assert not _scheme_of(value).startswith(DANGEROUS_SCHEMES), where
        if element.in_user_content:
            assert element.tag not in FORBIDDEN_IN_USER_CONTENT, where
            for name, _value in element.attrs:
                assert not name.startswith(("hx-", "data-")), where
    return audit


QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
HANDLER_IN_RAW_TAG = re.compile(r"<[a-z][^<>]*[\s/]on[a-z]+\s*=", re.IGNORECASE)


def assert_fragment_inert(fragment):
    """Sanitised user HTML is inert, also where the stdlib parser would give up on a broken tag."""
    audit = assert_inert(f'<div class="prose">{fragment}</div>')
    # Browsers still run `<img src=x onerror=...` left unclosed; html.parser reads it as text.
    assert not HANDLER_IN_RAW_TAG.search(QUOTED.sub('""', fragment)), fragment
    return audit


def idea_id_from(response):
    """The idea id in a /ideas/<id> redirect."""
    match = re.fullmatch(r"/ideas/(\d+)(#.*)?", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


@pytest.fixture
def member(auth, make_user):
    """A signed-in member."""
    user = make_user()
    auth.login(user)
    return user


# -- through the client ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_title_payload_shows_as_text_on_the_idea_page_and_the_board(
        client, member, fetch, payload):
    title = " ".join(payload.split())
    assert len(title) <= TITLE_MAX, "corpus payloads must fit in a title"

    response = client.post("/ideas/new", data={"title": payload, "description": "Plain words.",
                                                "kind": "idea"})

    assert response.status_code == 303
    idea_id = idea_id_from(response)
    assert fetch(lambda: db.session.get(Idea, idea_id).title) == title
    page = client.get(f"/ideas/{idea_id}")
    assert page.status_code == 200
    audit = assert_inert(page.get_data(as_text=True))
    assert audit.texts("h1") == [title]
    assert audit.texts("title") == [f"\u2068{title}\u2069 · Ideas"]  # isolated: plain text has no <bdi>
    board = client.get("/")
    assert board.status_code == 200
    assert assert_inert(board.get_data(as_text=True)).texts(css_class="card-title") == [title]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_description_payload_renders_inert_on_the_idea_page_and_the_board(
        client, member, fetch, payload):
    response = client.post("/ideas/new", data={"title": "Payload in the description",
                                                "description": payload, "kind": "idea"})

    assert response.status_code == 303
    idea_id = idea_id_from(response)
    assert fetch(lambda: db.session.get(Idea, idea_id).description) == payload.strip()
    assert_fragment_inert(fetch(lambda: db.session.get(Idea, idea_id).description_html))
    page = client.get(f"/ideas/{idea_id}")
    assert page.status_code == 200
    assert_inert(page.get_data(as_text=True))
    board = client.get("/")
    assert board.status_code == 200
    assert_inert(board.get_data(as_text=True))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_comment_payload_renders_inert_on_the_idea_page(
        client, member, make_idea, fetch, payload):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": payload})

    assert response.status_code == 303
    assert idea_id_from(response) == idea.id
    stored = fetch(lambda: db.session.execute(
        db.select(Comment.body, Comment.body_html).where(Comment.idea_id == idea.id)).one())
    assert stored.body == payload.strip()
    assert_fragment_inert(stored.body_html)
    page = client.get(f"/ideas/{idea.id}")
    assert page.status_code == 200
    assert_inert(page.get_data(as_text=True))


def test_raw_html_in_a_description_is_shown_to_readers_as_typed(client, member):
    response = client.post("/ideas/new", data={"title": "Shown as typed",
                                                "description": '<b onclick="x()">bold?</b>',
                                                "kind": "idea"})

    page = client.get(response.headers["Location"])

    audit = assert_inert(page.get_data(as_text=True))
    assert '<b onclick="x()">bold?</b>' in audit.texts(css_class="prose")


# -- the sanitiser itself --------------------------------------------------------------------------


@pytest.mark.parametrize("source, href", [
    ("[docs](https://example.com/docs)", "https://example.com/docs"),
    ("<https://example.com>", "https://example.com"),
    ("[write](mailto:team@example.com)", "mailto:team@example.com"),
    ("[ref][1]\n\n[1]: http://example.com/ref", "http://example.com/ref"),
    ("[here](/ideas/1)", "/ideas/1"),
])
def test_links_get_rel_nofollow_ugc_noopener(source, href):
    html = render_markdown(source)

    assert f'href="{href}"' in html
    assert LINK_REL in html
    assert html.count("rel=") == 1


@pytest.mark.parametrize("source, expected", [
    ("**bold**", "<strong>bold</strong>"),
    ("_italic_", "<em>italic</em>"),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'),
    ("use `a < b` here", "<code>a &lt; b</code>"),
    ("```python\nif a < b:\n    pass\n```", "<pre><code>if a &lt; b:\n    pass\n</code></pre>"),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("## Heading", "<h2>Heading</h2>"),
    ("~~gone~~", "<s>gone</s>"),
    ("| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"),
    ("line one  \nline two", "line one<br>"),
])
def test_markdown_still_renders(source, expected):
    assert expected in render_markdown(source)


@pytest.mark.parametrize("source, shown", [
    pytest.param("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;", id="inline"),
    pytest.param("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", id="script"),
    pytest.param('<a href="https://example.com">x</a>',
                 '&lt;a href="https://example.com"&gt;x&lt;/a&gt;', id="anchor"),
    pytest.param("<div>\nblock\n</div>", "&lt;div&gt;\nblock\n&lt;/div&gt;", id="block"),
])
def test_raw_html_shows_as_text(source, shown):
    html = render_markdown(source)

    assert html == f"<p>{shown}</p>\n"


@pytest.mark.parametrize("source", [
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))", "[x](data:text/html,<script>alert(1)</script>)",
    "[x][1]\n\n[1]: javascript:alert(1)", "<javascript:alert(1)>",
])
def test_dangerous_link_schemes_do_not_become_links(source):
    html = render_markdown(source)

    assert {e.tag for e in PageAudit(html).elements} == {"p"}


def test_fenced_code_info_string_adds_no_attribute():
    assert render_markdown("```js onload=alert(1)\nx\n```") == "<pre><code>x\n</code></pre>\n"


@pytest.mark.parametrize("payload", PAYLOADS + MORE_PAYLOADS)
def test_rendered_markdown_is_inert(payload):
    assert_fragment_inert(render_markdown(payload))


@pytest.mark.parametrize("payload", PAYLOADS + MORE_PAYLOADS)
def test_the_allow_list_alone_neutralises_raw_html(payload):
    # Markdown escapes raw HTML before nh3 sees it; the second line of defence must hold alone.
    audit = assert_fragment_inert(clean_html(payload))

    assert all({name for name, _ in e.attrs} <= {"href", "title", "rel", "start"}
               for e in audit.elements[1:])


def test_the_allow_list_keeps_safe_links_and_sets_its_own_rel():
    html = clean_html('<a href="https://example.com" rel="opener" target="_blank" title="t">x</a>')

    assert html == f'<a href="https://example.com" title="t" {LINK_REL}>x</a>'
