"""Query processes: a runaway query is killed at its deadline and its process replaced."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug.test import TestResponse

from psfkg.errors import (
    LongQueriesBusy,
    QueryRejected,
    QueryTimeout,
    QueryTooLarge,
    StoreUnavailable,
)
from psfkg.query import runner as runner_module
from psfkg.query import watchdog as watchdog_module
from psfkg.query.runner import INLINE_CHARS, QueryRunner
from psfkg.query.store import Answer, QueryRequest
from psfkg.query.watchdog import Watchdog

from ..conftest import client_for
from ..live import RUNAWAY


class Panic(BaseException):
    """What pyo3 raises for a panic in pyoxigraph: a BaseException, not an Exception."""


def evaluate(request: QueryRequest) -> Answer:
    if request.query == "panic":
        raise Panic("index out of bounds")
    if request.query == "sleep":
        time.sleep(60)
    if request.query == "spin":
        spin(60)
    if request.query == "crash":
        os.abort()
    if request.query == "bad":
        raise QueryRejected("syntax error: error at 1:1")
    if request.query.strip() == "pid":
        return Answer(str(os.getpid()).encode(), "text/plain", 1)
    raise ValueError("/secret/path/in/a/message")


def spin(seconds: float) -> None:
    """Use the CPU for ``seconds``, as an evaluation does."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass


def pid(runner: QueryRunner) -> int:
    return int(runner.run(QueryRequest("pid", "text/plain")).body)


def test_a_query_runs_in_a_reused_child() -> None:
    runner = QueryRunner(evaluate, timeout=5)
    first = pid(runner)
    assert first != os.getpid()
    assert pid(runner) == first
    runner.close()


def test_timeout_kills_the_child_and_the_next_query_gets_a_new_one() -> None:
    runner = QueryRunner(evaluate, timeout=0.5)
    before = pid(runner)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"timed out after 0\.5 s"):
        runner.run(QueryRequest("sleep", "text/plain"))
    assert time.monotonic() - started < 3
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)
    assert pid(runner) != before
    assert runner.restarts == 1
    runner.close()


def test_an_idle_child_killed_from_outside_is_replaced_before_use() -> None:
    runner = QueryRunner(evaluate, timeout=5)
    os.kill(pid(runner), signal.SIGKILL)
    time.sleep(0.1)
    assert pid(runner) > 0  # the dead child was noticed and replaced before use


def children() -> set[int]:
    """The processes this one has forked (from any of its threads) and not yet reaped."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    return {int(p) for task in tasks.iterdir() for p in (task / "children").read_text().split()}


def test_a_child_killed_from_outside_gives_503_then_recovers(releases: Path) -> None:
    client = client_for(releases)
    before = children()
    outcome: dict[str, TestResponse] = {}
    query = f"/sparql?query={urllib.parse.quote(RUNAWAY)}"
    thread = threading.Thread(target=lambda: outcome.update(answer=client.get(query)))
    thread.start()
    deadline = time.monotonic() + 10
    while not (children() - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    (child,) = children() - before
    time.sleep(0.2)
    os.kill(child, signal.SIGKILL)
    thread.join(timeout=30)
    answer = outcome["answer"]
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.data == b"Error 503: the store could not answer this time; please retry\n"
    assert client.get("/sparql?query=ASK%7B%7D").status_code == 200


def test_a_crash_in_evaluation_is_a_400_not_a_500() -> None:
    runner = QueryRunner(evaluate, timeout=5)
    with pytest.raises(QueryRejected, match="too complex"):
        runner.run(QueryRequest("crash", "text/plain"))
    assert pid(runner) > 0


def test_rejections_pass_through_and_the_child_is_kept() -> None:
    runner = QueryRunner(evaluate, timeout=5)
    before = pid(runner)
    with pytest.raises(QueryRejected, match="error at 1:1"):
        runner.run(QueryRequest("bad", "text/plain"))
    assert pid(runner) == before
    with pytest.raises(StoreUnavailable) as caught:
        runner.run(QueryRequest("other", "text/plain"))
    assert "ValueError" in str(caught.value)
    runner.close()


def open_fds(pid: int) -> set[int]:
    return {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc (Linux)")
def test_a_child_keeps_only_stdio_and_its_own_pipes() -> None:
    runner = QueryRunner(evaluate, timeout=5)
    first = runner._take()  # an idle child whose pipes the parent holds
    listening = os.open(os.devnull, os.O_RDONLY)  # stands for the web worker's socket
    try:
        second = runner._take()
        child = int(second.run(QueryRequest("pid", "text/plain"), 5, 1 << 30).body)
        fds = open_fds(child)
        assert len(fds) == 5 and {0, 1, 2} <= fds
        assert listening not in fds and first.requests not in fds and first.replies not in fds
    finally:
        os.close(listening)
    first.kill()
    second.kill()


def test_a_child_dies_with_its_parent() -> None:
    """A web worker killed with SIGKILL leaves no query child behind."""
    read, write = os.pipe()
    worker = os.fork()
    if worker == 0:  # a stand-in web worker: start a child, report its pid, wait to be killed
        try:
            os.close(read)
            child = QueryRunner(evaluate, timeout=5)._take()
            os.write(write, str(child.pid).encode())
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(write)
    child_pid = int(os.read(read, 32))
    os.close(read)
    os.kill(worker, signal.SIGKILL)
    os.waitpid(worker, 0)
    for _ in range(50):
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"query child {child_pid} outlived its killed parent")


def test_a_long_query_yields_the_cpu_and_its_process_is_not_reused() -> None:
    def slow(request: QueryRequest) -> Answer:
        if request.query == "long":
            time.sleep(1.5)
        return Answer(
            f"{os.getpid()} {os.getpriority(os.PRIO_PROCESS, 0)}".encode(), "text/plain", 1
        )

    runner = QueryRunner(slow, timeout=5)
    short_pid, short_nice = map(int, runner.run(QueryRequest("short", "text/plain")).body.split())
    long_pid, long_nice = map(int, runner.run(QueryRequest("long", "text/plain")).body.split())
    assert long_pid == short_pid and long_nice >= short_nice + 10
    next_pid, next_nice = map(int, runner.run(QueryRequest("short", "text/plain")).body.split())
    assert next_pid != long_pid and next_nice == short_nice
    runner.close()


def in_a_fork(body: Callable[[int], None]) -> tuple[bytes, int, float]:
    """Run ``body(fd)`` in a forked process (a watchdog ends the process it runs in); what it
    wrote to ``fd``, its exit status and the seconds it took."""
    read, write = os.pipe()
    started = time.monotonic()
    child = os.fork()
    if child == 0:
        try:
            os.close(read)
            body(write)
        finally:
            os._exit(3)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        written = pipe.read()
    _, status = os.waitpid(child, 0)
    return written, os.waitstatus_to_exitcode(status), time.monotonic() - started


def test_the_watchdog_answers_and_ends_the_process_at_the_deadline() -> None:
    def body(fd: int) -> None:
        watchdog = Watchdog(lambda error, _: os.write(fd, str(error).encode()), abort)
        with watchdog.watching(0.3):
            time.sleep(30)  # evaluating, with the GIL released as pyoxigraph does

    written, code, seconds = in_a_fork(body)
    assert (written, code) == (b"query timed out after 0.3 s", 0) and 0.3 <= seconds < 5


def test_the_watchdog_stops_a_query_that_takes_more_than_its_memory() -> None:
    def body(fd: int) -> None:
        watchdog = Watchdog(lambda error, _: os.write(fd, str(error).encode()), abort)
        with watchdog.watching(30, memory=64 << 20):
            hoard = []
            for _ in range(400):  # 400 MiB, a MiB every millisecond: stopped long before
                hoard.append(bytearray(1 << 20))
                time.sleep(0.001)

    written, code, seconds = in_a_fork(body)
    assert code == 0 and written.startswith(b"the query needed more than 64 MiB") and seconds < 5


def test_a_child_that_takes_more_than_its_memory_is_stopped() -> None:
    queries = QueryRunner(hoarding, timeout=30, memory=64 << 20)
    started = time.monotonic()
    with pytest.raises(QueryTooLarge, match="more than 64 MiB"):
        queries.run(QueryRequest("hoard", "text/plain"))
    assert time.monotonic() - started < 5
    assert queries.run(QueryRequest("ASK {}", "text/plain")).rows == 0  # a fresh child answers


def test_the_watchdog_renices_a_long_query_and_asks_to_retire_after_it() -> None:
    def body(fd: int) -> None:
        watchdog_module.LONG_AFTER = 0.1
        watchdog = Watchdog(abort, lambda: os.write(fd, b"retire "))
        with watchdog.watching(30):
            time.sleep(0.5)
        os.write(fd, str(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).encode())
        os._exit(0)

    written, code, _ = in_a_fork(body)
    assert (written, code) == (f"retire {watchdog_module.LONG_NICENESS}".encode(), 0)


def test_a_worker_with_a_watchdog_evaluates_short_queries_itself_and_long_ones_in_a_child() -> None:
    def body(fd: int) -> None:
        runner_module.watchdog = Watchdog(abort, abort)
        queries = QueryRunner(evaluate, timeout=5)
        short = pid(queries)
        long = int(queries.run(QueryRequest("pid" + " " * INLINE_CHARS, "text/plain")).body)
        os.write(fd, b"ok" if short == os.getpid() != long else f"{short} {long}".encode())
        os._exit(0)

    assert in_a_fork(body)[:2] == (b"ok", 0)


def hoarding(request: QueryRequest) -> Answer:
    """An evaluation that takes 400 MiB, a MiB every millisecond, for "hoard"."""
    if request.query == "hoard":
        hoard = [bytearray(1 << 20) for _ in range(400) if time.sleep(0.001) is None]
        return Answer(b"", request.media_type, len(hoard))
    return Answer(b"", request.media_type, 0)


def abort(*_: object) -> None:
    os._exit(4)


def test_a_panic_evaluated_in_the_worker_is_a_503_and_retires_the_worker() -> None:
    def body(fd: int) -> None:
        runner_module.watchdog = Watchdog(abort, lambda: os.write(fd, b"retire "))
        try:
            QueryRunner(evaluate, timeout=5).run(QueryRequest("panic", "text/plain"))
        except StoreUnavailable as error:
            os.write(fd, str(error).encode())
        os._exit(0)

    written, code, _ = in_a_fork(body)
    assert (written, code) == (b"retire the store failed to answer (Panic: index out of bounds)", 0)


BUSY = LongQueriesBusy("the server is busy with long queries")


def test_the_watchdog_stops_a_query_refused_a_long_slot_at_once() -> None:
    def body(fd: int) -> None:
        watchdog = Watchdog(lambda error, _: os.write(fd, str(error).encode()), abort)
        with watchdog.watching(30, lengthen=lambda: BUSY):
            spin(30)

    written, code, seconds = in_a_fork(body)
    assert (written, code) == (str(BUSY).encode(), 0)
    assert watchdog_module.SLOT_AFTER <= seconds < 2


def test_a_query_waiting_for_the_cpu_asks_for_no_long_slot() -> None:
    """The slot is for a quarter second of the query's own CPU: one that waits (for a busy
    machine, here for nothing) is not taken for a runaway."""
    asked: list[bool] = []

    def body(fd: int) -> None:
        watchdog = Watchdog(lambda error, _: os.write(fd, str(error).encode()), abort)
        with watchdog.watching(30, lengthen=lambda: asked.append(True) or BUSY):
            time.sleep(1)
        os.write(fd, b"asked" if asked else b"not asked")

    written, code, _ = in_a_fork(body)
    assert (written, code) == (b"not asked", 3)  # it ended as a body does, unstopped


def test_a_child_refused_a_long_slot_is_stopped_and_replaced() -> None:
    asked: list[float] = []

    def lengthen() -> LongQueriesBusy | None:
        asked.append(time.monotonic() - started)
        return BUSY

    queries = QueryRunner(evaluate, timeout=30)
    first = pid(queries)
    started = time.monotonic()
    assert pid(queries) == first and not asked  # a short query never asks
    with pytest.raises(LongQueriesBusy):
        queries.run(QueryRequest("spin", "text/plain"), lengthen)
    assert len(asked) == 1 and watchdog_module.SLOT_AFTER <= asked[0] < 1
    assert pid(queries) != first and queries.restarts == 1
    queries.close()
