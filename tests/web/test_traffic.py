"""One JSON log line per request, /-/stats counters, and the rate limit per client."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from psfkg.web.stats import Stats

from ..conftest import client_for
from ..live import LONG_RUNAWAY, RUNAWAY, live_server


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


def test_counters_and_the_rate_limit_are_the_servers_across_workers_and_restarts(
    releases: Path,
) -> None:
    """Three workers, a new connection per request (so that they take turns), and one worker
    killed halfway: the counts go on, and the limit holds for the server, not per worker."""
    env = {"PSFKG_RATE_LIMIT": "40", "PSFKG_RATE_LIMIT_LOOPBACK": "1"}
    with live_server(releases=releases, workers=3, env=env) as base:
        workers, statuses = set(), []
        for n in range(60):
            if n == 20:
                os.kill(next(iter(workers)), signal.SIGKILL)
                time.sleep(1.5)
            try:
                with urllib.request.urlopen(f"{base}/-/stats", timeout=10) as response:
                    workers.add(json.loads(response.read())["worker"])
                    statuses.append(response.status)
            except urllib.error.HTTPError as refused:
                statuses.append(refused.code)
        served = statuses.count(200)
        # The start-up health checks count too: a handful at most.
        assert 30 <= served <= 40 and statuses.count(429) == 60 - served
        assert len(workers) >= 3  # a worker replaced the killed one, and all took turns
    env["PSFKG_RATE_LIMIT"] = "0"
    with live_server(releases=releases, workers=2, env=env) as base:
        seen = []
        for _ in range(10):
            with urllib.request.urlopen(f"{base}/-/stats", timeout=10) as response:
                seen.append(json.loads(response.read())["requests"])
        assert seen == sorted(seen) and len(set(seen)) == 10  # one count, whichever worker


def test_health_is_degraded_while_queries_are_being_stopped(releases: Path) -> None:
    client = client_for(releases, {"PSFKG_QUERY_TIMEOUT": "1"})
    assert client.get("/-/health").get_json()["status"] == "ok"
    assert client.get(f"/sparql?query={quote(LONG_RUNAWAY)}").status_code == 503
    health = client.get("/-/health").get_json()
    assert health["status"] == "degraded" and "deadline" in health["problem"]
    assert health["timeouts"] == 1


def test_a_client_cannot_hold_more_than_its_share_of_the_workers(releases: Path) -> None:
    """With a share of one, a client whose query runs gets 429 for the next, while another
    client is answered; the share comes back when the query ends, in a child (503 at the
    deadline) or in the worker itself (which the deadline ends)."""
    env = {
        "PSFKG_CLIENT_SHARE": "1",
        "PSFKG_TRUSTED_PROXIES": "127.0.0.1",
        "PSFKG_QUERY_TIMEOUT": "3",
    }

    def ask(base: str, client: str, query: str = "ASK {}") -> tuple[int, dict[str, str]]:
        # no-cache: evaluated, not answered from the answers a worker keeps (which cost no
        # evaluation, and so count in no share)
        headers = {"X-Forwarded-For": client, "Cache-Control": "no-cache"}
        request = urllib.request.Request(f"{base}/sparql?query={quote(query)}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers)

    with live_server(releases=releases, workers=3, env=env) as base:
        for runaway in (LONG_RUNAWAY, RUNAWAY):
            outcome: list[int] = []
            thread = threading.Thread(
                target=lambda q=runaway, out=outcome: out.append(ask(base, "192.0.2.1", q)[0])
            )
            thread.start()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # until the runaway is under way
                with urllib.request.urlopen(f"{base}/-/stats", timeout=10) as response:
                    if json.loads(response.read())["running"]:
                        break
                time.sleep(0.05)
            status, headers = ask(base, "192.0.2.1")
            assert status == 429 and headers["Retry-After"] == "1"
            assert ask(base, "192.0.2.2")[0] == 200
            thread.join()
            assert outcome == [503]
            assert ask(base, "192.0.2.1")[0] == 200


def in_another_process(stats: Stats, client: str, *, long: bool) -> int:
    """A process that begins an evaluation of ``client`` (long, or not) and waits; its pid."""
    ready, go = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready)
            stats.begin(client, 0)
            if long:
                assert stats.lengthen(0, 0) is None
            os.write(go, b".")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(go)
    assert os.read(ready, 1) == b"."
    os.close(ready)
    return pid


def test_long_slots_are_bounded_for_the_server_and_per_client_and_always_come_back() -> None:
    """The bounds of the long lane, and its slots freed by an evaluation's end or its death."""
    stats = Stats()
    holder = in_another_process(stats, "192.0.2.1", long=True)
    short = in_another_process(stats, "192.0.2.2", long=False)
    try:
        assert stats.begin("192.0.2.1", 2)
        assert stats.lengthen(0, 1) == "yours"  # its client has one long already
        assert stats.lengthen(1, 0) == "busy"  # the server has its one
        assert stats.lengthen(2, 1) == "yours" and stats.lengthen(2, 0) is None
        assert (stats.running, stats.running_long) == (3, 2)
        stats.end()
        assert (stats.running, stats.running_long) == (2, 1)
        os.kill(holder, signal.SIGKILL)
        os.waitpid(holder, 0)
        assert (stats.running, stats.running_long) == (1, 0)  # a dead process's slot is free
        assert stats.begin("192.0.2.1", 2) and stats.lengthen(1, 1) is None
        stats.end()
    finally:
        for pid in (holder, short):
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def ask_from(
    base: str, source: str, query: str = "ASK {}", timeout: float = 60
) -> tuple[int, float, dict[str, str], bytes]:
    """Ask ``query`` from the loopback address ``source`` (not answered from the answers a
    worker keeps): the status, the seconds it took, the headers and the body."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    started = time.monotonic()
    connection = http.client.HTTPConnection(
        host, int(port), timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(
            "GET", f"/sparql?query={quote(query)}", headers={"Cache-Control": "no-cache"}
        )
        response = connection.getresponse()
        body = response.read()
        return response.status, time.monotonic() - started, dict(response.headers), body
    finally:
        connection.close()


def test_cheap_queries_are_answered_while_any_number_of_runaways_run(releases: Path) -> None:
    """Two workers, one long slot; six attackers (six addresses, each within its share) send
    runaways again and again, in the worker and in query processes: another client's cheap
    queries are answered within a couple of seconds, the attackers get 503 (or 429) with
    Retry-After, and after the attack the server is as before."""
    env = {
        "PSFKG_RATE_LIMIT_LOOPBACK": "1",
        "PSFKG_RATE_LIMIT": "100000",
        "PSFKG_QUERY_TIMEOUT": "4",
    }
    with live_server(releases=releases, workers=2, env=env) as base:
        before = max(ask_from(base, "127.0.0.2")[1] for _ in range(10))
        attacking = threading.Event()
        answers: list[tuple[int, float, dict[str, str], bytes]] = []

        def attack(source: str, query: str) -> None:
            while attacking.is_set():
                answers.append(ask_from(base, source, query))

        attackers = [
            threading.Thread(
                target=attack, args=(f"127.0.0.{10 + n}", (RUNAWAY, LONG_RUNAWAY)[n % 2])
            )
            for n in range(6)
        ]
        attacking.set()
        for thread in attackers:
            thread.start()
        probes = []
        started = time.monotonic()
        while time.monotonic() - started < 12:
            probes.append(ask_from(base, "127.0.0.2"))
            time.sleep(0.2)
        attacking.clear()
        for thread in attackers:
            thread.join()
        assert {status for status, _, _, _ in probes} == {200}
        assert max(seconds for _, seconds, _, _ in probes) < 3, sorted(p[1] for p in probes)
        assert {status for status, _, _, _ in answers} <= {503, 429}
        assert all(headers.get("Retry-After") for _, _, headers, _ in answers)
        busy = sum(b"busy with long queries" in body for _, _, _, body in answers)
        assert busy >= 1
        with urllib.request.urlopen(f"{base}/-/stats", timeout=10) as response:
            counters = json.loads(response.read())
        # Every refusal is counted once (how many there are depends on the machine's speed).
        assert counters["busy"] == busy and counters["timeouts"] >= 1
        assert (counters["running"], counters["running_long"]) == (0, 0)
        # As before: cheap queries at once, and a runaway gets the long slot (to its deadline).
        assert max(ask_from(base, "127.0.0.2")[1] for _ in range(10)) < max(1.0, 5 * before)
        # A runaway of a client not held back (as the attackers are, for their Retry-After:
        # tests/front) gets the long slot, to its deadline.
        status, seconds, _, body = ask_from(base, "127.0.0.20", RUNAWAY)
        assert (status, body) == (503, b"Error 503: query timed out after 4 s\n") and seconds > 3.5
