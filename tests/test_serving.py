"""The real server (gunicorn) switches release in its master, at 100 times the PSF's size: one
store per release, shared by every worker, never loaded inside a request, memory back to one
release's after the switch; a worker that is killed is replaced by one that serves at once; and a
release the master refuses is reported by every worker."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from psfkg.release import latest, point_latest
from psfkg.sources import synth

from .conftest import build
from .live import RUNAWAY, live_server

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux")

#: Projects of synthetic data at 100 times the PSF's size.
PROJECTS_100X = 2800
ASK = "/sparql?query=" + urllib.parse.quote("ASK {}")
#: Longest a cheap request may wait while a release is switched or a worker replaced: loading a
#: release at 100x takes seconds, so a request that waited for one would take longer.
PROMPT = 2.0
#: After a switch, the whole server holds at most this much more than before it.
AFTER_SWITCH = 1.3


@pytest.fixture(scope="session")
def x100(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A releases folder with two releases of synthetic data at 100x (built once, the second a
    copy of the first under a later name): the folder and the two names."""
    root = tmp_path_factory.mktemp("x100")
    synth.write(root / "data", projects=PROJECTS_100X, seed=1)
    first = build(root / "data", root / "releases")
    second = first.with_name("99991231T235959Z")
    shutil.copytree(first, second)
    return root / "releases", first.name, second.name


def get(url: str) -> tuple[float, bytes]:
    """Seconds to answer a GET, and the answer."""
    began = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as response:
        return time.monotonic() - began, response.read()


def health(base: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(get(f"{base}/-/health")[1])
    return found


def master_of(base: str) -> int:
    """The gunicorn master's pid: the parent of the worker that answers."""
    worker = json.loads(get(f"{base}/-/stats")[1])["worker"]
    return int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])


def children(pid: int) -> set[int]:
    """A process's children (the master's: its workers)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue  # it ended meanwhile
    return found


def tree(pid: int) -> list[int]:
    """A process and all its descendants (workers, their query processes)."""
    return [pid, *(p for child in children(pid) for p in tree(child))]


def memory(pid: int) -> int:
    """What the server under ``pid`` holds: the sum of its processes' PSS, in bytes (shared
    pages split between the processes that share them, so a store shared counts once)."""
    total = 0
    for process in tree(pid):
        try:
            with open(f"/proc/{process}/smaps_rollup", "rb") as fh:
                total += sum(int(line.split()[1]) << 10 for line in fh if line.startswith(b"Pss:"))
        except OSError:
            pass  # it ended meanwhile
    return total


@dataclass
class Traffic:
    """Cheap requests sent without pause: (when it began, seconds, release or None) each."""

    answers: list[tuple[float, float, str | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    memory: list[tuple[float, int]] = field(default_factory=list)

    def slowest(self, since: float = 0.0) -> float:
        return max(s for began, s, _ in self.answers if began >= since)


@contextmanager
def traffic(base: str, master: int, clients: int = 2) -> Iterator[Traffic]:
    """Ask ``/-/health`` and ``ASK {}`` from ``clients`` threads, and sample the server's memory
    every 0.1 s, until the block ends."""
    seen, stop = Traffic(), threading.Event()

    def ask() -> None:
        while not stop.is_set():
            for path in ("/-/health", ASK):
                began = time.monotonic()
                try:
                    seconds, body = get(base + path)
                except OSError as exc:  # an HTTPError too
                    seen.errors.append(f"{path}: {exc}")
                    if isinstance(exc, urllib.error.HTTPError):
                        exc.close()
                    continue
                release = json.loads(body)["release"] if path == "/-/health" else None
                seen.answers.append((began, seconds, release))

    def sample() -> None:
        while not stop.is_set():
            seen.memory.append((time.monotonic(), memory(master)))
            time.sleep(0.1)

    threads = [
        threading.Thread(target=sample),
        *(threading.Thread(target=ask) for _ in range(clients)),
    ]
    for thread in threads:
        thread.start()
    try:
        yield seen
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def wait_for(condition: Callable[[], bool], timeout: float = 180.0) -> float:
    """Wait until ``condition()`` holds; the seconds it took."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, "not in time"
        time.sleep(0.1)
    return time.monotonic() - began


def workers(master: int, count: int) -> set[int]:
    """The master's workers, once it has started all ``count`` (the server answers as soon as the
    first has)."""
    wait_for(lambda: len(children(master)) == count, timeout=30)
    return children(master)


def replaced(master: int, old: set[int], count: int) -> Callable[[], bool]:
    """Whether the master has ``count`` workers, none of them one of ``old``."""

    def done() -> bool:
        now = children(master)
        return len(now) == count and not now & old

    return done


def mib(size: float) -> str:
    return f"{size / (1 << 20):.0f} MiB"


def test_a_switch_at_100x_loads_the_release_once_in_the_master_and_no_request_waits(
    x100: tuple[Path, str, str], record_property: Callable[[str, object], None]
) -> None:
    releases, first, second = x100
    point_latest(releases, first)
    with live_server(releases=releases, workers=2) as base:
        master = master_of(base)
        old = workers(master, 2)
        with traffic(base, master) as seen:
            time.sleep(5)  # the workers warm up: what they hold of their own after some requests
            before = memory(master)
            began = time.monotonic()
            point_latest(releases, second)
            took = wait_for(replaced(master, old, 2))
            switched = time.monotonic()
            time.sleep(3)
            after = memory(master)
    peak = max(size for at, size in seen.memory if at >= began)
    figures = (
        f"switch at 100x: before {mib(before)}, peak {mib(peak)} ({peak / before:.2f}x), "
        f"after {mib(after)} ({after / before:.2f}x); workers replaced {took:.1f} s after "
        f"`latest` moved; slowest cheap answer {seen.slowest():.2f} s of {len(seen.answers)}"
    )
    print(figures)
    record_property("switch_at_100x", figures)
    assert seen.errors == []
    assert seen.slowest() < PROMPT, figures
    assert {r for at, _, r in seen.answers if at >= switched and r} == {second}
    assert after <= AFTER_SWITCH * before, figures
    # While switching, the old store (still answering) and the new one (loading in the master)
    # are both held, never a copy per worker.
    assert peak < 3 * before, figures


def test_a_worker_killed_after_a_switch_is_replaced_at_once_by_one_serving_the_new_release(
    x100: tuple[Path, str, str],
) -> None:
    releases, first, second = x100
    point_latest(releases, first)
    with live_server(releases=releases, workers=1, env={"PSFKG_QUERY_TIMEOUT": "2"}) as base:
        master = master_of(base)
        point_latest(releases, second)
        wait_for(replaced(master, workers(master, 1), 1))
        assert health(base)["release"] == second
        before = memory(master)
        for worker in children(master):
            os.kill(worker, signal.SIGKILL)
        seconds, body = get(f"{base}/-/health")
        assert json.loads(body)["release"] == second and seconds < PROMPT
        with pytest.raises(urllib.error.HTTPError) as stopped:
            get(f"{base}/sparql?query=" + urllib.parse.quote(RUNAWAY))
        assert stopped.value.code == 503  # at its deadline, and its worker ended
        stopped.value.close()
        seconds, body = get(f"{base}/-/health")
        assert json.loads(body)["release"] == second and seconds < PROMPT
        assert memory(master) <= AFTER_SWITCH * before


def test_a_release_the_master_refuses_is_reported_by_the_workers_it_had(
    releases: Path, tmp_path: Path
) -> None:
    good = latest(releases)
    assert good is not None
    folder = tmp_path / "releases"
    folder.mkdir()
    shutil.copytree(good, folder / good.name)
    bad = folder / "99991231T235959Z"
    shutil.copytree(good, bad)
    (bad / "void.nt").write_text("no longer what SHA256SUMS says\n")
    point_latest(folder, good.name)
    with live_server(releases=folder, workers=2) as base:
        master = master_of(base)
        had = workers(master, 2)
        point_latest(folder, bad.name)
        wait_for(lambda: health(base)["status"] == "degraded", timeout=30)
        answered = set()
        for _ in range(20):
            answered.add(json.loads(get(f"{base}/-/stats")[1])["worker"])
            found = health(base)
            assert found["release"] == good.name and bad.name in str(found["problem"])
            assert "corrupt" in str(found["problem"])
        # Workers forked before the master refused the release say so: they were told, through
        # the memory they share with it, and not replaced.
        assert answered <= had and children(master) == had
