"""Small answers the API gives."""
from typing import Any

from flask import Response, current_app, jsonify


def no_content() -> Response:
    """204, with no body and so no Content-Type."""
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    return response


def created(body: Any, location: str) -> Response:
    """201 with the new thing and where it lives."""
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response
