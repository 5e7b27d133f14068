"""Every word a template shows goes through gettext: a literal string in a template fails here."""
import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

from ideas.web.fragments import FragmentCacheExtension

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Attributes whose values people read (or hear from a screen reader); other attribute values
# (classes, ids, URLs, htmx settings) are code, not language.
READ_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "aria-description", "hx-confirm"})
# Literal text allowed outside gettext: none. Names of people, products and formats come from
# variables; punctuation, digits and symbols (·, —, #, →) have no letters and pass anyway.
ALLOWED = frozenset()


def _literal_runs(data, state):
    """Yield the text runs of one template data node a reader sees; `state` carries the HTML
    parser's position (in text, in a tag, in an attribute value) over to the next node."""
    runs, run = [], []
    for char in data:
        mode = state["mode"]
        if mode == "text":
            if char == "<":
                state.update(mode="tag", attribute="")
                runs.append("".join(run))
                run = []
            else:
                run.append(char)
        elif mode == "tag":
            if char == ">":
                state["mode"] = "text"
            elif char in "\"'":
                state.update(mode="value", quote=char)
            elif char == "=":
                pass
            elif char.isspace():
                state["attribute"] = ""
            else:
                state["attribute"] += char
        elif char == state["quote"]:
            state.update(mode="tag", attribute="")
            runs.append("".join(run))
            run = []
        elif state["attribute"].lower() in READ_ATTRIBUTES:
            run.append(char)
    runs.append("".join(run))
    return runs


ENVIRONMENT = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do", FragmentCacheExtension])


def literals_in(source):
    """The literal texts holding letters that one template shows outside gettext."""
    output = {node.data for node in ENVIRONMENT.parse(source).find_all(nodes.TemplateData)}
    state = {"mode": "text", "attribute": "", "quote": ""}
    in_trans, previous, found = False, None, []
    # The lexer gives every piece in source order, so the HTML state follows the page; the
    # parser says which data is plain output (TemplateData) rather than the body of a {% trans %}.
    for _, kind, value in ENVIRONMENT.lex(source):
        if kind == "name" and previous == "block_begin":
            in_trans = value in ("trans", "pluralize") or (in_trans and value != "endtrans")
        if kind == "data" and not in_trans:
            assert value in output or not value.strip(), f"lexer and parser disagree on {value!r}"
            for run in _literal_runs(value, state):
                words = " ".join(run.split())
                if any(char.isalpha() for char in words) and words not in ALLOWED \
                        and not _is_entity_only(words):
                    found.append(words)
        if kind != "whitespace":
            previous = kind
    return found


def untranslated_literals():
    """(template, text) for each literal holding letters outside gettext in templates/."""
    return [(str(path.relative_to(TEMPLATES)), words)
            for path in sorted(TEMPLATES.rglob("*")) if path.suffix in {".html", ".txt", ".xml"}
            for words in literals_in(path.read_text(encoding="utf-8"))]


def _is_entity_only(words):
    """&middot; &nbsp; and the like are symbols written with letters."""
    return re.fullmatch(r"(?:&#?\w+;|\W)*", words) is not None


def test_no_template_holds_an_untranslated_literal():
    assert untranslated_literals() == []


@pytest.mark.parametrize(("source", "found"), [
    ("<p>Hello</p>", ["Hello"]),
    ('<a href="{{ url }}" class="x">Read more</a>', ["Read more"]),
    ('<input placeholder="Search ideas">', ["Search ideas"]),
    ('<form hx-confirm="Delete it?">', ["Delete it?"]),
    ("<p>{{ _('Hello') }}</p>", []),
    ("<p>{% trans name=n %}Hello {{ name }}{% endtrans %}</p>", []),
    ('<div class="card card-body" id="idea-{{ id }}" role="note">&middot; — #{{ n }}</div>', []),
])
def test_the_check_finds_literal_words_and_only_them(source, found):
    assert literals_in(source) == found
