"""The OpenAPI document describes exactly the routes there are; the docs page renders it."""
import re

import pytest

from ideas.api.spec import OPERATIONS

from conftest import API

# The document does not depend on the database: one is enough.
pytestmark = pytest.mark.sqlite_only

# Routes of the blueprint that are not operations of the document: the page that renders it.
UNDOCUMENTED = {"api.docs"}
FLASK_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# Pages of the site the document describes too (a browser goes there, not a client of the API).
PAGES = [op for op in OPERATIONS if op.page_responses is not None]
API_OPERATIONS = [op for op in OPERATIONS if op.page_responses is None]


def routes_of_the_blueprint(app):
    """{(METHOD, /path/{param})} for every route of the API blueprint, relative to /api/v1."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in UNDOCUMENTED:
            continue
        path = FLASK_PARAMETER.sub(r"{\1}", rule.rule).removeprefix(API)
        found |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def pages_of_the_site(app):
    """{(METHOD, /path)} of the pages the document describes, each read from the app's own route."""
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    return {(op.method, FLASK_PARAMETER.sub(r"{\1}", rules[op.endpoint].rule)) for op in PAGES
            if op.method in rules[op.endpoint].methods}


def test_every_route_is_documented_and_every_operation_is_a_route(app, client):
    document = client.get(f"{API}/openapi.json").get_json()

    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}

    assert documented == routes_of_the_blueprint(app) | pages_of_the_site(app)
    assert len(documented) == len(OPERATIONS)


def test_the_document_is_openapi_3_1_with_the_server_under_api_v1(client):
    response = client.get(f"{API}/openapi.json")

    document = response.get_json()
    assert response.status_code == 200
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": API}]
    bearer = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")


def test_every_reference_points_at_a_component(client):
    text = client.get(f"{API}/openapi.json").get_data(as_text=True)
    document = client.get(f"{API}/openapi.json").get_json()

    references = set(re.findall(r'"\$ref": ?"#/components/(\w+)/(\w+)"', text))

    assert references
    assert all(name in document["components"][section] for section, name in references)


@pytest.mark.parametrize("operation", API_OPERATIONS, ids=[f"{op.method} {op.path}" for op in API_OPERATIONS])
def test_every_operation_names_its_errors_in_the_error_shape(client, operation):
    document = client.get(f"{API}/openapi.json").get_json()

    responses = document["paths"][operation.path][operation.method.lower()]["responses"]

    errors = [status for status in responses if status.startswith(("4", "5"))]
    assert {"401", "429"} <= set(errors)
    assert all(responses[status]["$ref"].startswith("#/components/responses/") for status in errors)


def test_the_docs_page_lists_every_operation_and_schema(client):
    response = client.get(f"{API}/docs")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    for operation in OPERATIONS:
        assert f'id="op-{operation.endpoint.partition(".")[2]}"' in page
        assert f"<code>{operation.path}</code>" in page
    assert 'id="schema-Idea"' in page and 'id="schema-Error"' in page


def test_the_docs_page_keeps_to_the_content_security_policy(client):
    page = client.get(f"{API}/docs").get_data(as_text=True)

    assert "<style" not in page and "style=" not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # no inline script
    assert "http://" not in page.replace("http://localhost", "")  # nothing fetched from elsewhere


def test_the_footer_links_to_the_api_docs(client):
    page = client.get("/").get_data(as_text=True)

    assert f'href="{API}/docs"' in page
