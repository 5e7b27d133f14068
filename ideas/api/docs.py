"""The API's description: the OpenAPI document, and a page that renders it for people."""
import re
from typing import Any

from flask import Response, jsonify, render_template
from markupsafe import Markup, escape

from .blueprint import bp
from .spec import ACCESS, OPERATIONS, Operation, openapi_document, operation


@operation("GET", "/openapi.json", summary="This API's OpenAPI document", group="Site",
           response="OpenApiDocument")
def openapi() -> Response:
    """The OpenAPI 3.1 document, built from the routes themselves."""
    return jsonify(openapi_document())


CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str | None) -> Markup:
    """The document's own text (never user input) with `code` set as <code>."""
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(text or ""))))


@bp.get("/docs")
def docs() -> str:
    """The OpenAPI document as a readable page (rendered on the server: no script)."""
    document = openapi_document()
    groups: dict[str, list[tuple[Operation, dict[str, Any]]]] = {}
    for op in OPERATIONS:
        groups.setdefault(op.group, []).append((op, document["paths"][op.path][op.method.lower()]))
    return render_template("api/docs.html", document=document, groups=groups, access=ACCESS, code=code_spans)
