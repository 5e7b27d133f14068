"""The API's description: the OpenAPI document, and a page that renders it for people."""
import re

from flask import jsonify, render_template
from markupsafe import Markup, escape

from .blueprint import bp
from .spec import ACCESS, OPERATIONS, openapi_document, operation


@operation("GET", "/openapi.json", summary="This API's OpenAPI document", group="Site",
           response="OpenApiDocument")
def openapi():
    """The OpenAPI 3.1 document, built from the routes themselves."""
    return jsonify(openapi_document())


CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text):
    """The document's own text (never user input) with `code` set as <code>."""
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(text or ""))))


@bp.get("/docs")
def docs():
    """The OpenAPI document as a readable page (rendered on the server: no script)."""
    document = openapi_document()
    groups = {}
    for op in OPERATIONS:
        groups.setdefault(op.group, []).append((op, document["paths"][op.path][op.method.lower()]))
    return render_template("api/docs.html", document=document, groups=groups, access=ACCESS, code=code_spans)
