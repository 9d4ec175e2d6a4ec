"""Faults: a release published while serving, rollback, corrupt and partial releases, a full
disk while writing, and a query process killed mid-query. Nothing is lost; serving goes on."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from psfkg.release import latest

from .conftest import DATA, build, client_for
from .live import LONG_RUNAWAY, live_server

COUNT = "/sparql?query=" + urllib.parse.quote(
    "SELECT (COUNT(*) AS ?n) { ?s a <https://w3id.org/psfkg/def#Organisation> }"
)


def organisations(client: FlaskClient) -> tuple[int, str]:
    response = client.get(COUNT)
    assert response.status_code == 200, response.data
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"]), response.headers[
        "ETag"
    ]


def with_one_more_organisation(data: Path) -> Path:
    path = data / "organisations.csv"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "zz-test-organisation,ZZ Test Organisation,,,sweden,cbss-psf-past-projects.txt:24\n",
        encoding="utf-8",
    )
    return data


def wait_for_switch() -> None:
    time.sleep(1.1)  # the server looks at `latest` once a second


def test_a_new_release_is_switched_to_and_rolled_back(data_copy: Path, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    first = build(DATA, releases)
    client = client_for(releases)
    before, etag_before = organisations(client)
    build(with_one_more_organisation(data_copy), releases)
    wait_for_switch()
    after, etag_after = organisations(client)
    assert (before, after) == (171, 172) and etag_after != etag_before
    run = subprocess.run(
        [sys.executable, "-m", "psfkg", "rollback", "--out", str(releases)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and run.stdout.strip() == str(first)
    wait_for_switch()
    assert organisations(client) == (before, etag_before)


def test_no_request_sees_two_releases(data_copy: Path, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    build(DATA, releases)
    client = client_for(releases)
    pairs: set[tuple[int, str]] = set()
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            pairs.add(organisations(client))

    build_done = threading.Thread(
        target=lambda: build(with_one_more_organisation(data_copy), releases)
    )
    asker = threading.Thread(target=ask)
    asker.start()
    build_done.start()
    build_done.join()
    wait_for_switch()
    time.sleep(0.3)
    stop.set()
    asker.join()
    counts = {count for count, _ in pairs}
    assert counts == {171, 172}
    assert len(pairs) == 2  # each count always came with its own release's ETag


@pytest.mark.parametrize("damage", ["checksum", "missing"])
def test_a_corrupt_or_partial_release_is_refused_at_start_and_at_the_switch(
    data_copy: Path, tmp_path: Path, damage: str
) -> None:
    releases = tmp_path / "releases"
    good = build(DATA, releases)
    client = client_for(releases)
    bad = build(with_one_more_organisation(data_copy), releases)
    target = bad / "psfkg.nq"
    if damage == "checksum":
        target.write_bytes(target.read_bytes().replace(b"Lund University", b"Lund Universitx", 1))
    else:
        target.unlink()
    wait_for_switch()
    assert organisations(client)[0] == 171  # still the good release
    health = client.get("/-/health").get_json()
    assert health["status"] == "degraded" and bad.name in health["problem"]
    assert ("corrupt" if damage == "checksum" else "missing") in health["problem"]
    fresh = client_for(releases)  # a server starting now falls back to the good one
    assert organisations(fresh)[0] == 171
    assert fresh.get("/-/health").get_json()["release"] == good.name


def test_a_full_disk_while_writing_leaves_the_last_release(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    good = build(DATA, releases)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    run = subprocess.run(
        [sys.executable, "-m", "psfkg", "build", "--out", str(releases)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=small_files,
    )
    assert run.returncode == 2
    assert "the previous release is untouched" in run.stderr and "Traceback" not in run.stderr
    assert latest(releases) == good
    assert sorted(p.name for p in releases.iterdir()) == sorted([good.name, "latest"])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_a_release_writer_killed_leaves_the_last_release(tmp_path: Path) -> None:
    """The build writes the indexes in processes of its own: one killed (as the kernel kills
    for memory) fails the build with a clear error, and nothing is lost."""
    releases = tmp_path / "releases"
    good = build(DATA, releases)
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "psfkg", "synth", "--projects", "600", "--out", data])
    build_ = subprocess.Popen(
        [sys.executable, "-m", "psfkg", "build", "--data", str(data), "--out", str(releases)],
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = None
    while killed is None and build_.poll() is None:
        writers = [c for c in _children(build_.pid) if b"spawn_main" in _cmdline(c)]
        if writers:
            killed = writers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.01)
    _, stderr = build_.communicate(timeout=300)
    assert killed is not None, "the build ended before its release writers started"
    assert build_.returncode == 2, stderr
    assert "ended before it was done" in stderr and "untouched" in stderr, stderr
    assert "Traceback" not in stderr
    assert latest(releases) == good
    assert sorted(p.name for p in releases.iterdir()) == sorted([good.name, "latest"])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_a_query_process_killed_mid_query(releases: Path) -> None:
    runaway = "/sparql?query=" + urllib.parse.quote(LONG_RUNAWAY)  # runs in a query process
    with live_server(releases=releases, workers=1, env={"PSFKG_QUERY_TIMEOUT": "20"}) as base:
        worker = json.loads(urllib.request.urlopen(f"{base}/-/stats", timeout=10).read())["worker"]
        outcome: dict[str, object] = {}

        def ask() -> None:
            try:
                urllib.request.urlopen(base + runaway, timeout=30)
            except urllib.error.HTTPError as error:
                with error:
                    outcome["status"], outcome["body"] = error.code, error.read()

        thread = threading.Thread(target=ask)
        thread.start()
        deadline = time.monotonic() + 10
        busy = []
        while not busy and time.monotonic() < deadline:
            busy = [
                c
                for c in _children(worker)
                if float(Path(f"/proc/{c}/stat").read_text().split()[13]) > 0
            ]
            time.sleep(0.2)
        assert busy, "no query process is running"
        os.kill(busy[0], signal.SIGKILL)
        thread.join()
        assert outcome["status"] == 503 and b"please retry" in outcome["body"]  # type: ignore[operator]
        ok = urllib.request.urlopen(f"{base}/sparql?query=ASK%7B%7D", timeout=10)
        assert ok.status == 200
        ok.close()
        health = json.loads(urllib.request.urlopen(f"{base}/-/health", timeout=10).read())
        assert health["query_process_restarts"] >= 1
