"""The honest clients of ``make loadtest``: "researchers" looping over a mix of requests."""

from __future__ import annotations

import collections
import http.client
import threading
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from benchmarks.benchmark import JSON_RESULTS, QUERIES, Client, is_graph_query, sparql_path, summary

from psfkg.config import PROJECT_ROOT, Settings

NAMED_QUERIES = PROJECT_ROOT / "queries"
#: The server's own default, as `make serve` runs it.
WORKERS = Settings.from_env().workers
PAGES = ("/", "/browse/projects", "/id/project/jatoc", "/id/country/sweden", "/def")
DUMPS = ("/dumps/psfkg.ttl.gz", "/dumps/psfkg.nt")
KINDS = ("named-query", "sparql", "page", "dump")


class Target(NamedTuple):
    """One request of the researchers' mix."""

    kind: str
    name: str
    path: str
    accept: str


class Hit(NamedTuple):
    """One request made: its kind, target, status (0: no answer) and seconds."""

    kind: str
    name: str
    status: int
    seconds: float


class Session(Client):
    """A keep-alive connection of :mod:`tests.benchmark` that reports every status (its
    ``request`` raises for anything but 200, which a load test counts instead)."""

    def __init__(self, base: str, timeout: float, source: str | None = None) -> None:
        super().__init__(base)
        self.conn = http.client.HTTPConnection(
            "127.0.0.1",
            self.conn.port,
            timeout=timeout,
            source_address=None if source is None else (source, 0),
        )

    def fetch(self, path: str, accept: str) -> int:
        """GET ``path``, read the whole answer; its status, or 0 when none came."""
        try:
            self.conn.request("GET", path, headers={"Accept": accept})
            response = self.conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0
        return response.status


def address(group: int | None, n: int) -> str | None:
    """The source address of client ``n`` of a group: ``127.0.<group>.<n + 1>``, so that each
    client has an address (a rate-limit window) of its own; None (127.0.0.1) without a group."""
    return None if group is None else f"127.0.{group}.{n % 250 + 1}"


def good(status: int) -> bool:
    """Whether a researcher's request succeeded: 2xx or 304."""
    return 200 <= status < 300 or status == 304


def mix() -> list[Target]:
    """The researchers' requests: named queries, the SPARQL mix, pages and dumps."""
    targets = [
        Target("named-query", p.stem, f"/queries/{p.stem}.csv", "text/csv")
        for p in sorted(NAMED_QUERIES.glob("*.rq"))
    ]
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        accept = "application/ld+json" if is_graph_query(text) else JSON_RESULTS
        targets.append(Target("sparql", path.stem, sparql_path(text), accept))
    targets += [Target("page", p, p, "text/html") for p in PAGES]
    targets += [Target("dump", p.rsplit("/", 1)[1], p, "*/*") for p in DUMPS]
    return targets


def researcher(
    base: str,
    targets: list[Target],
    first: int,
    until: float,
    wait: float,
    out: list[Hit],
    source: str | None = None,
) -> None:
    """Request the mix in turn, from ``targets[first]``, until the monotonic time ``until``."""
    session = Session(base, wait, source)
    n = first
    while time.monotonic() < until:
        target = targets[n % len(targets)]
        begin = time.perf_counter()
        status = session.fetch(target.path, target.accept)
        out.append(Hit(target.kind, target.name, status, time.perf_counter() - begin))
        n += 1


def crowd(
    base: str, targets: list[Target], clients: int, until: float, wait: float, group: int | None
) -> tuple[list[threading.Thread], list[list[Hit]]]:
    """Start ``clients`` researchers (their addresses: :func:`address`); their threads and the
    lists their hits go to."""
    lists: list[list[Hit]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(
            target=researcher,
            args=(base, targets, n, until, wait, lists[n], address(group, n)),
            daemon=True,
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    return threads, lists


def warm_up(base: str, targets: list[Target], wait: float, group: int | None = None) -> list[str]:
    """Every request of the mix from 2 x WORKERS threads at once, so each worker has forked its
    query child and filled its caches; the requests that failed."""
    out: list[Hit] = []

    def once(first: int) -> None:
        session = Session(base, wait, address(group, first))
        for n in range(len(targets)):
            target = targets[(first + n) % len(targets)]
            out.append(Hit(target.kind, target.path, session.fetch(target.path, target.accept), 0))

    threads = [threading.Thread(target=once, args=(n,)) for n in range(2 * WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted({f"{hit.name}: {hit.status}" for hit in out if not good(hit.status)})


def statuses(hits: Iterable[Hit]) -> dict[str, int]:
    """How many hits had each status, the most common first (0: no answer)."""
    return dict(collections.Counter(str(hit.status) for hit in hits).most_common())


def latencies(hits: list[Hit], seconds: float) -> dict[str, Any]:
    """Requests, requests per second, errors by status, p50 and p99 (ms) of researchers' hits."""
    errors = [hit for hit in hits if not good(hit.status)]
    return summary([hit.seconds for hit in hits]) | {
        "requests": len(hits),
        "requests_per_s": len(hits) / seconds if seconds else 0.0,
        "errors": len(errors),
        "errors_by_status": statuses(errors),
    }
