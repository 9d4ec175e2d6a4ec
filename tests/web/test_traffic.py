"""One JSON log line per request, /-/stats counters, and the rate limit per client."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ..conftest import client_for


def test_one_json_line_per_request_with_a_query_hash(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="psfkg.access"):
        client.get("/sparql?query=ASK%7B%7D")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "psfkg.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["status"] == 200 and line["path"] == "/sparql" and line["ms"] >= 0
    assert len(line["query"]) == 16 and "ASK" not in json.dumps(line)


def test_stats_count_requests_queries_and_statuses(client: FlaskClient) -> None:
    before = client.get("/-/stats").get_json()
    client.get("/sparql?query=ASK%7B%7D")
    client.get("/sparql?query=ASK%7B")
    after = client.get("/-/stats").get_json()
    assert after["queries"] - before["queries"] == 2
    assert after["statuses"].get("400", 0) - before["statuses"].get("400", 0) == 1
    assert after["release"] and after["uptime_seconds"] >= 0 and "query_process_restarts" in after


def test_rate_limit_per_client_with_retry_after(releases: Path) -> None:
    client = client_for(releases, {"PSFKG_RATE_LIMIT": "3", "PSFKG_RATE_LIMIT_LOOPBACK": "1"})
    statuses = [client.get("/-/health").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/-/health")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    other = client.get("/-/health", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_loopback_is_not_limited_by_default(releases: Path) -> None:
    client = client_for(releases, {"PSFKG_RATE_LIMIT": "2"})
    assert {client.get("/-/health").status_code for _ in range(5)} == {200}
