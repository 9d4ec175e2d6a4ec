"""The front before the workers: slow clients cost nothing, answers pass whole (real server)."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.live import free_port, live_server

from psfkg.front.server import SPOOL_BYTES
from psfkg.release import latest

#: Settings that make the front's bounds quick to reach in a test.
QUICK = {"PSFKG_CLIENT_TIMEOUT": "2", "PSFKG_REQUEST_DEADLINE": "3"}


@pytest.fixture(scope="module")
def one_worker(releases: Path) -> Iterator[str]:
    """The real server with a single worker, so that a held worker would show at once."""
    with live_server(releases=releases, workers=1, env=QUICK) as base:
        yield base


def address(base: str) -> tuple[str, int]:
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    return host, int(port)


def probe(base: str) -> float:
    """Seconds a cheap query takes to be answered 200."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(*address(base), timeout=20)
    connection.request("GET", "/sparql?query=ASK%7B%7D")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    return time.monotonic() - started


def exchange(base: str, raw: bytes, wait: float = 10) -> bytes:
    """Send raw bytes and read until the server closes."""
    with socket.create_connection(address(base), timeout=wait) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    return b"".join(chunks)


def trickle(base: str, lines: list[bytes], every: float, seen: list[bytes]) -> None:
    """Send a request a line at a time, ``every`` seconds apart, until an answer comes; keep
    the answer."""
    with socket.create_connection(address(base), timeout=30) as sock:
        try:
            for line in lines:
                sock.sendall(line)
                if select.select([sock], [], [], every)[0]:
                    break
            seen.append(sock.recv(1 << 16))
        except OSError as exc:
            seen.append(repr(exc).encode())


@pytest.mark.parametrize("part", ["headers", "body"])
def test_slow_senders_hold_no_worker_and_meet_the_deadline(one_worker: str, part: str) -> None:
    """16 clients each send a header line (or a byte of the body) a second: the one worker
    answers everyone else at once, and each slow client gets 408 at the request deadline."""
    if part == "headers":
        lines = [b"GET /-/health HTTP/1.1\r\n"] + [b"X-Slow: %d\r\n" % i for i in range(30)]
    else:
        head = b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 40\r\n"
        lines = [head + b"Content-Type: application/sparql-query\r\n\r\n"] + [b" "] * 40
    seen: list[bytes] = []
    slow = [
        threading.Thread(target=trickle, args=(one_worker, lines, 1.0, seen)) for _ in range(16)
    ]
    for thread in slow:
        thread.start()
    try:
        time.sleep(0.5)
        waits = [probe(one_worker) for _ in range(10)]
        assert max(waits) < 1.0, waits
    finally:
        for thread in slow:
            thread.join()
    assert len(seen) == 16
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in seen), seen[:2]


def test_a_silent_connection_is_let_go(one_worker: str) -> None:
    started = time.monotonic()
    assert exchange(one_worker, b"") == b""
    assert time.monotonic() - started < 5


def test_a_slow_reader_gets_a_whole_dump_while_the_worker_serves_others(
    one_worker: str, releases: Path
) -> None:
    """A reader taking 4 KiB at a time, with pauses, gets every byte of the dump (checked
    against the release's checksum); meanwhile the single worker answers others at once."""
    release = latest(releases)
    assert release is not None
    expected = hashlib.sha256((release / "psfkg.nq").read_bytes()).hexdigest()
    received: list[bytes] = []

    def read_slowly() -> None:
        with socket.create_connection(address(one_worker), timeout=30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(
                b"GET /dumps/psfkg.nq HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            while chunk := sock.recv(4096):
                received.append(chunk)
                time.sleep(0.001)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    time.sleep(0.5)
    waits = [probe(one_worker) for _ in range(5)]
    reader.join()
    assert max(waits) < 1.0, waits
    head, _, body = b"".join(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"x-sendfile" not in head.lower()
    assert hashlib.sha256(body).hexdigest() == expected


def test_ranges_head_and_keep_alive_pass_through(one_worker: str, releases: Path) -> None:
    release = latest(releases)
    assert release is not None
    dump = (release / "psfkg.nq").read_bytes()
    connection = http.client.HTTPConnection(*address(one_worker), timeout=10)
    connection.request("GET", "/dumps/psfkg.nq", headers={"Range": "bytes=100-199"})
    ranged = connection.getresponse()
    assert ranged.status == 206 and ranged.read() == dump[100:200]
    connection.request("HEAD", "/dumps/psfkg.nq")
    head = connection.getresponse()
    assert head.status == 200 and head.read() == b""
    assert head.getheader("Content-Length") == str(len(dump))
    connection.request("GET", "/-/health")  # the same connection, kept alive
    assert connection.getresponse().status == 200
    connection.close()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n", 431),
        (b"GET /" + b"x" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n", 413),
    ],
    ids=["not HTTP", "huge head", "huge field", "huge line", "huge body"],
)
def test_broken_requests_get_a_clear_status(one_worker: str, raw: bytes, status: int) -> None:
    answer = exchange(one_worker, raw)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:200]
    assert b"nosniff" in answer


def test_pipelined_requests_are_answered_in_order(one_worker: str) -> None:
    one = b"GET /-/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    last = b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = exchange(one_worker, one + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.index(b"application/json") < answer.index(b"text/plain")


def test_a_client_cannot_pass_its_own_address(one_worker: str) -> None:
    """The header the front uses for the client's address is the front's alone."""
    connection = http.client.HTTPConnection(*address(one_worker), timeout=10)
    connection.request("GET", "/-/health", headers={"X-Psfkg-Peer": "203.0.113.9"})
    assert connection.getresponse().status == 200
    connection.close()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_stopping_the_front_stops_every_process(releases: Path, how: int) -> None:
    """Whether the front is asked to stop or killed outright, gunicorn's master and workers end
    with it: no process is left holding the store."""
    port = free_port()
    args = [sys.executable, "-m", "psfkg", "serve", "--out", str(releases), "--port", str(port)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                probe(f"http://127.0.0.1:{port}")
                break
            except (OSError, AssertionError, http.client.HTTPException):
                time.sleep(0.2)
        family = descendants(process.pid)
        assert len(family) >= 2  # the master and its workers
        process.send_signal(how)
        assert process.wait(timeout=30) in (0, -signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in family):
            assert time.monotonic() < deadline, "a server process outlived the front"
            time.sleep(0.2)
    finally:
        process.kill()
        process.wait()


def descendants(pid: int) -> list[int]:
    """The processes below ``pid``, from /proc."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def test_a_client_that_expects_100_continue_is_asked_for_its_body(one_worker: str) -> None:
    """As curl does for a large POST: the front says 100 Continue, then reads the body."""
    query = b"ASK {}"
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: application/sparql-results+json\r\nExpect: 100-continue\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(query)
    )
    with socket.create_connection(address(one_worker), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(1 << 16).startswith(b"HTTP/1.1 100 ")
        sock.sendall(query)
        answer = b""
        while chunk := sock.recv(1 << 16):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") and b'"boolean": true' in answer


def test_a_chunked_body_is_read_whole(one_worker: str) -> None:
    body = b"query=ASK%20%7B%7D"
    raw = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n0\r\n\r\n"
        % (len(body), body)
    )
    answer = exchange(one_worker, raw)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"true" in answer


def test_a_worker_that_ends_leaves_the_others_reachable(releases: Path) -> None:
    """A worker that ends in order (gunicorn's SIGTERM, or after a long query) unwinds through
    the code that started it; the workers' socket must outlive it."""
    port = free_port()
    args = [sys.executable, "-m", "psfkg", "serve", "--out", str(releases), "--port", str(port)]
    process = subprocess.Popen(
        [*args, "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe(base)
                break
            except (OSError, AssertionError, http.client.HTTPException):
                assert time.monotonic() < deadline
                time.sleep(0.2)
        master = descendants(process.pid)[0]
        worker = descendants(master)[0]
        os.kill(worker, signal.SIGTERM)
        time.sleep(2)
        assert [probe(base) < 5 for _ in range(10)] == [True] * 10
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_client_back_before_its_retry_after_is_refused_by_the_front(releases: Path) -> None:
    """Past the rate limit the app says when to retry; the same client back sooner gets 429
    from the front itself (no worker sees it), while another client is served."""
    env = {"PSFKG_RATE_LIMIT_LOOPBACK": "1", "PSFKG_RATE_LIMIT": "2"}

    def ask(base: str, source: str) -> tuple[int, str, bytes, str]:
        connection = http.client.HTTPConnection(
            *address(base), timeout=30, source_address=(source, 0)
        )
        connection.request("GET", "/sparql?query=ASK%7B%7D")
        response = connection.getresponse()
        hold = response.getheader("X-PSFKG-Hold") or ""
        answer = response.status, response.getheader("Retry-After") or "", response.read(), hold
        connection.close()
        return answer

    with live_server(releases=releases, workers=2, env=env) as base:
        assert [ask(base, "127.0.0.2")[0] for _ in range(2)] == [200, 200]
        status, retry, body, hold = ask(base, "127.0.0.2")
        assert (status, hold) == (429, "") and b"please slow down" in body  # the app's
        status, retry, body, _ = ask(base, "127.0.0.2")
        assert status == 429 and 0 < int(retry) <= 60 and b"asked to retry later" in body
        assert ask(base, "127.0.0.3")[0] == 200


def test_an_answer_past_the_spool_in_memory_comes_whole(one_worker: str) -> None:
    """An answer larger than what the front keeps in memory goes through a temporary file, and
    comes whole, its Content-Length true."""
    query = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    connection = http.client.HTTPConnection(*address(one_worker), timeout=30)
    connection.request(
        "GET",
        "/sparql?query=" + urllib.parse.quote(query),
        headers={"Accept": "application/sparql-results+json"},
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 200 and len(body) > SPOOL_BYTES
    assert int(response.getheader("Content-Length") or 0) == len(body)
    rows = json.loads(body)["results"]["bindings"]
    assert len(rows) == int(response.getheader("X-PSFKG-Rows") or 0)
