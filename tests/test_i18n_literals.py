"""Every word a template shows goes through gettext: a literal string in a template fails here."""
import re
from pathlib import Path

from jinja2 import Environment, nodes

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


def untranslated_literals():
    """(template, text) for each literal holding letters outside gettext in templates/."""
    environment = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in {".html", ".txt", ".xml"}:
            continue
        source = path.read_text(encoding="utf-8")
        tree = environment.parse(source)
        translated_free = {node.data for node in tree.find_all(nodes.TemplateData)}
        state = {"mode": "text", "attribute": "", "quote": ""}
        in_trans = False
        previous = None
        # The lexer gives every piece in source order, so the HTML state follows the page; the
        # parser tells which data is plain output (TemplateData) and which sits in {% trans %}.
        for _, kind, value in environment.lex(source):
            if kind == "name" and previous == "block_begin":
                in_trans = value in ("trans", "pluralize") or (in_trans and value != "endtrans")
            if kind == "data" and not in_trans:
                if value not in translated_free and value.strip():
                    raise AssertionError(f"{path}: lexer data not found by the parser: {value!r}")
                for run in _literal_runs(value, state):
                    words = " ".join(run.split())
                    if any(char.isalpha() for char in words) and words not in ALLOWED \
                            and not _is_entity_only(words):
                        found.append((str(path.relative_to(TEMPLATES)), words))
            if kind not in ("whitespace",):
                previous = kind
    return found


def _is_entity_only(words):
    """&middot; &nbsp; and the like are symbols written with letters."""
    return re.fullmatch(r"(?:&#?\w+;|\W)*", words) is not None


def test_no_template_holds_an_untranslated_literal():
    assert untranslated_literals() == []
