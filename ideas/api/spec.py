"""One source of truth for routes and their documentation: `@operation` registers a view on the
blueprint and records what it takes and answers, and `openapi_document()` is built from those
records, so the document cannot describe a route that does not exist, or miss one."""
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..links import base_url
from .blueprint import bp
from .fields import MAX_INT, Body, Query
from .serializers import SCHEMAS, ref

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCESS = {
    "anyone": "Anyone; a key or a signed-in session sees what that member may see.",
    "member": "A signed-in member (an API key, or the session cookie with the CSRF token).",
    "staff": "Staff and admins only.",
}
ERRORS = {
    400: ("BadRequest", "The body is not JSON, or the session's CSRF token is missing or wrong."),
    401: ("Unauthorized", "No credentials where they are needed, or a bad or revoked API key."),
    403: ("Forbidden", "The member may not do this."),
    404: ("NotFound", "There is no such thing, or the member may not see it."),
    409: ("Conflict", "The thing is not in a state that allows this (e.g. voting is closed)."),
    422: ("Unprocessable", "Input broke a rule; `fields` names each problem."),
    429: ("TooManyRequests", "Too many requests; try again after `Retry-After` seconds."),
}
PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
View = Callable[..., ResponseReturnValue]


@dataclass
class Operation:
    """One route of the API and what the document says of it."""

    method: str
    rule: str
    endpoint: str
    summary: str
    group: str
    access: str
    description: str = ""
    query: Query | None = None
    body: Body | None = None
    response: str | None = None
    status: int = 200
    errors: tuple = ()
    headers: dict = field(default_factory=dict)
    # A file sent as multipart/form-data instead of a JSON body: (the field's name, what it holds).
    upload: tuple[str, str] | None = None
    # A page of the site that the API's users send people to (see `page`): its own responses, and
    # the site's address as its server instead of the API's.
    page_responses: dict[str, Any] | None = None

    @property
    def path(self) -> str:
        """The OpenAPI path, relative to the server URL: /ideas/{idea_id}."""
        return PATH_PARAMETER.sub(r"{\2}", self.rule)

    @property
    def path_parameters(self) -> list[str]:
        return [name for _, name in PATH_PARAMETER.findall(self.rule)]

    @property
    def error_statuses(self) -> list[int]:
        """Every error status the route can answer, derived from what it takes."""
        statuses = {401, 429, *self.errors}
        if self.method not in SAFE_METHODS:
            statuses.add(400)  # a body that is not JSON; a session request without its CSRF token
        if self.body is not None or self.query is not None or self.upload is not None:
            statuses.add(422)
        if self.path_parameters:
            statuses.add(404)
        if self.access == "staff":
            statuses.add(403)
        return sorted(statuses)


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, *, summary: str, group: str, access: str = "anyone",
              **details: Any) -> Callable[[View], View]:
    """Register the view for `method rule` on the API blueprint and record it for the document.

    Members-only routes answer 401 to anonymous requests, staff routes 403 to members, before
    anything else; the domain functions check the same rules again.
    """
    def register(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if access != "anyone" and not current_user.is_authenticated:
                abort(401)
            if access == "staff" and not current_user.is_staff:
                abort(403)
            return view(*args, **kwargs)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guarded, methods=[method])
        OPERATIONS.append(Operation(method=method, rule=rule, endpoint=f"{bp.name}.{view.__name__}",
                                    summary=summary, group=group, access=access, **details))
        return guarded

    return register


def page(method: str, rule: str, endpoint: str, *, summary: str, group: str, description: str,
         query: Query, responses: dict[str, Any]) -> None:
    """Record for the document a page of the site that is part of integrating with it (a browser
    is sent there, not a client of the API): its blueprint registers the route, and the document
    gives the site's own address as the page's server."""
    OPERATIONS.append(Operation(method=method, rule=rule, endpoint=endpoint, summary=summary, group=group,
                                access="anyone", description=description, query=query,
                                page_responses=responses))


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters = [{
        "name": name, "in": "path", "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT}, "example": 1,
    } for name in operation.path_parameters]
    if operation.query is not None:
        parameters += operation.query.parameters()
    return parameters


def _responses(operation: Operation) -> dict[str, Any]:
    if operation.page_responses is not None:
        return operation.page_responses
    success: dict[str, Any]
    if operation.response is None:
        success = {"description": "Done; nothing to send back."}
    else:
        success = {"description": "Done.",
                   "content": {"application/json": {"schema": ref(operation.response)}}}
    if operation.headers:
        success["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                              for name, text in operation.headers.items()}
    responses = {str(operation.status): success}
    for status in operation.error_statuses:
        responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    return responses


def _security(operation: Operation) -> list[dict[str, Any]]:
    if operation.page_responses is not None:
        return [{}]  # the page judges what the browser brings, never an API key
    signed_in: list[dict[str, Any]] = [{"bearerAuth": []}, {"cookieAuth": []}]
    return signed_in if operation.access != "anyone" else [{}, *signed_in]


def _operation_object(operation: Operation) -> dict[str, Any]:
    who = f"Who: {ACCESS[operation.access]}" if operation.page_responses is None else ""
    description = " ".join(filter(None, [operation.description, who]))
    document: dict[str, Any] = {
        "operationId": operation.endpoint.partition(".")[2],
        "summary": operation.summary,
        "description": description,
        "tags": [operation.group],
        "security": _security(operation),
        "parameters": _parameters(operation),
        "responses": _responses(operation),
    }
    if operation.page_responses is not None:
        document["servers"] = [{"url": base_url(), "description": "The site itself, not the API."}]
    if operation.body is not None:
        document["requestBody"] = {
            "required": any(field.required for field in operation.body.fields.values())
            or operation.body.min_properties > 0,
            "content": {"application/json": {"schema": operation.body.schema()}},
        }
    if operation.upload is not None:
        name, about = operation.upload
        document["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [name],
            "properties": {name: {"type": "string", "format": "binary", "description": about}},
        }}}}
    return document


def _error_responses() -> dict[str, Any]:
    responses = {}
    for status, (name, description) in ERRORS.items():
        response: dict[str, Any] = {"description": description,
                                    "content": {"application/json": {"schema": ref("Error")}}}
        if status == 429:
            response["headers"] = {"Retry-After": {"description": "Seconds to wait.",
                                                   "schema": {"type": "string"}}}
        responses[name] = response
    return responses


def _read_now(value: Any) -> Any:
    """`value` with every list that reads itself afresh (the admins' statuses) as it is now."""
    if isinstance(value, dict):
        return {key: _read_now(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_read_now(item) for item in value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered operation."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation_object(operation)
    groups = list(dict.fromkeys(operation.group for operation in OPERATIONS))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['SITE_NAME']} API",
            "version": "1",
            "description": (
                "JSON in and out. The same rules as the web pages apply. Authenticate with a personal "
                "API key (`Authorization: Bearer <key>`, created on your account settings page); "
                "requests signed in with the session cookie must send the CSRF token in `X-CSRFToken` "
                "for anything that changes data. Errors are `{\"error\": {\"code\", \"message\", "
                "\"fields\"}}`."
            ),
        },
        "servers": [{"url": bp.url_prefix}],
        "tags": [{"name": group} for group in groups],
        "paths": paths,
        "components": {
            "schemas": _read_now(SCHEMAS),
            "responses": _error_responses(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal API key, e.g. `ideas_…`."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "The web session; unsafe methods need `X-CSRFToken`."},
            },
        },
    }
