"""Health checks and request ids."""
import json
import logging

from ideas import create_app
from ideas.request_log import JsonFormatter


def test_healthz_says_the_process_is_up(client):
    response = client.get("/healthz")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite"})

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_every_response_carries_a_request_id_and_keeps_a_given_one(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "from-the-proxy"}).headers["X-Request-ID"]

    assert len(generated) == 32
    assert kept == "from-the-proxy"


def test_json_log_lines_carry_request_id_status_and_duration():
    record = logging.LogRecord("ideas.requests", logging.INFO, __file__, 1, "request", None, None)
    record.request_id, record.status, record.duration_ms, record.path = "abc", 200, 1.5, "/"

    line = json.loads(JsonFormatter().format(record))

    assert (line["request_id"], line["status"], line["duration_ms"], line["path"]) == ("abc", 200, 1.5, "/")
