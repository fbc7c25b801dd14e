"""The middleware stack (web/middleware/__init__.py): the order the app is wrapped in shows in what
a refused or failed request still gets: a request the token check refuses, closest to the
routes, is still hardened and logged; a bug is answered with a 500 that the access log records."""

from __future__ import annotations

import logging

from conftest import app_for
from fastapi.testclient import TestClient
from pydantic import SecretStr


def test_a_refused_request_is_still_hardened_and_logged(fake_retriever, caplog) -> None:
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr("s3cret-token")})
    client = TestClient(app_for(settings, fake_retriever))
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        refused = client.get("/api/health")
        wrong_host = client.get("/api/health", headers={"Host": "rebound.attacker.example"})
    assert refused.status_code == 401 and refused.headers["x-frame-options"] == "DENY"
    assert wrong_host.status_code == 400 and wrong_host.headers["x-frame-options"] == "DENY"  # outside the Host check
    logged = [r.getMessage() for r in caplog.records if r.name == "reportqa.access"]
    assert any(line.startswith("GET /api/health 401 ") for line in logged)
    assert any(line.startswith("GET /api/health 400 ") for line in logged)


def test_a_bug_is_a_500_the_access_log_records(fake_retriever, monkeypatch, caplog) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(fake_retriever, "search", broken)
    client = TestClient(app_for(fake_retriever.settings, fake_retriever))
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        response = client.get("/api/search", params={"q": "orders"})
    assert response.status_code == 500 and "default-src 'self'" in response.headers["content-security-policy"]
    assert caplog.records[-1].getMessage().startswith("GET /api/search 500 ")
