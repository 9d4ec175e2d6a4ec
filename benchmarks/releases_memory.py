"""Memory with many releases on disk (a section of ``make bench``): the issue's acceptance, "the
memory of the server with 20 releases on disk at 10x is within 1.2x of the server with one".

:data:`RELEASES` releases are built one after another into one folder, from synthetic data at
10x (``psfkg synth``) with one more project each time, so that each has changes, mementos and
versions of its own; a second folder holds only the latest of them (hard links). Each folder
is served by the real server (``psfkg serve``, gunicorn) on 127.0.0.1, and gets the same
request mix: :data:`RELEASES` turns, each on a release of the folder (each in turn; always the
one of the second folder): its home as HTML, JSON and Turtle, some of its files downloaded,
its changes, a record's memento (HTML and Turtle) and TimeMap, the record with
``Accept-Datetime`` at that release's date; then the current record, the landing page, a
search and a query. After it, the RSS (and PSS) of the server's processes (master and
workers) is read from ``/proc``; the figure is the ratio of the two servers'. Run alone:
``python benchmarks/releases_memory.py`` (10x, 20 releases) or ``--quick`` (the PSF data, 1x,
:data:`QUICK` releases).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from psfkg import release as rel
from psfkg.build import records
from psfkg.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))  # tests/ as a package
from benchmarks import processes
from tests.live import live_server

#: Releases on disk in the second server's folder; with ``--quick``, at 1x.
RELEASES, QUICK = 20, 5
BENCH = PROJECT_ROOT / "releases" / "bench"
BASE_IRI = "https://w3id.org/psfkg/"
#: The acceptance: the server with :data:`RELEASES` releases within this of the one with one.
TARGET = 1.2
#: Files of each release downloaded whole in the mix.
DOWNLOADS = ("psfkg.ttl", rel.CATALOG, rel.MANIFEST, rel.CHECKSUMS)
WORKERS = 2


def build_history(size: int, projects: int, out: Path, count: int) -> Path:
    """A releases folder of ``count`` builds, one after another, of synthetic data at ``size``
    (the PSF data at 1x) with one more project each time; its folder."""
    from benchmarks.benchmark import psfkg  # it imports this module

    folder = out / "many"
    for n in range(count):
        data = PROJECT_ROOT / "data"
        if size > 1:
            data = out / f"data-{n}"
            psfkg("synth", "--projects", str(projects * size + n), "--out", data, "--seed", "0")
        print(f"building release {n + 1} of {count} ({size}x) ...", file=sys.stderr, flush=True)
        psfkg("build", "--data", data, "--out", folder)
        time.sleep(1.05 - time.time() % 1)  # a release's id and date are to the second
    return folder


def alone(many: Path, out: Path) -> Path:
    """A releases folder holding only the latest of ``many`` (its files hard links)."""
    newest = (many / rel.LATEST).resolve()
    folder = out / "one"
    shutil.copytree(newest, folder / newest.name, copy_function=os.link)
    rel.point_latest(folder, newest.name)
    return folder


def projects_of(built: Path, base: str, n: int = 3) -> list[str]:
    """The paths of ``n`` projects of the release (``id/project/...``), from its resource index."""
    con = sqlite3.connect(f"file:{built / rel.RESOURCES}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT s FROM quads WHERE s LIKE ? ORDER BY s LIMIT ?",
            (base + "id/project/%", n),
        ).fetchall()
    finally:
        con.close()
    return [s[len(base) :] for (s,) in rows]


def get(url: str, headers: dict[str, str] | None = None) -> int:
    """GET ``url``, its body read and dropped; its status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            while response.read(1 << 20):
                pass
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def mix(server: str, turns: int, paths: list[str]) -> dict[int, int]:
    """The request mix against ``server`` (see the module's text): how many answers of each
    status."""
    listed = json.loads(urllib.request.urlopen(f"{server}/releases.json", timeout=60).read())
    ids = [(r["id"], r["date"]) for r in listed["releases"]]
    statuses: dict[int, int] = {}
    for turn in range(turns):
        rid, date = ids[turn % len(ids)]
        when = format_datetime(datetime.fromisoformat(date.replace("Z", "+00:00")), usegmt=True)
        path = paths[turn % len(paths)]
        home = f"{server}/releases/{rid}/"
        asked = [
            (home, {}),
            (f"{home}index.json", {}),
            (home, {"Accept": "text/turtle"}),
            *((f"{home}{name}", {}) for name in DOWNLOADS),
            (f"{home}changes", {}),
            (f"{home}{path}", {}),
            (f"{home}{path}", {"Accept": "text/turtle"}),
            (f"{server}/timemap/{path}", {}),
            (f"{server}/{path}", {"Accept-Datetime": when}),
            (f"{server}/{path}", {}),
            (f"{server}/", {}),
            (f"{server}/search?q=" + urllib.parse.quote(path.rpartition("/")[2]), {}),
            (f"{server}/sparql?query=" + urllib.parse.quote("ASK {}"), {}),
        ]
        for url, headers in asked:
            status = get(url, headers)
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


def served_memory(folder: Path, turns: int, paths: list[str], workers: int) -> dict[str, Any]:
    """The server's memory (master and workers, RSS and PSS in MiB) after the mix."""
    with live_server(releases=folder, workers=workers, startup=300) as server:
        statuses = mix(server, turns, paths)
        port = int(server.rsplit(":", 1)[1])
        found = processes.memory(processes.server_pid(port), 0.0)
    return {"releases": len(rel.history(folder)), "statuses": statuses, **found}


def measure(
    size: int, projects: int, *, base: str, count: int = RELEASES, workers: int = WORKERS
) -> dict[str, Any]:
    """Both servers' memory after the same mix, and the ratio (many / one) of their RSS and PSS."""
    BENCH.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BENCH, prefix="releases-memory-") as tmp:
        out = Path(tmp)
        many = build_history(size, projects, out, count)
        one = alone(many, out)
        paths = projects_of((many / rel.LATEST).resolve(), base)
        first = served_memory(one, count, paths, workers)
        second = served_memory(many, count, paths, workers)
    return {
        "size": size,
        "turns": count,
        "workers": workers,
        "one": first,
        "many": second,
        "rss_ratio": second["rss_mib"] / first["rss_mib"],
        "pss_ratio": second["pss_mib"] / first["pss_mib"],
        "target": TARGET,
    }


def table(measured: dict[str, Any]) -> list[str]:
    """Markdown: the two servers' memory and the ratio."""
    one, many = measured["one"], measured["many"]
    verdict = "meets" if measured["rss_ratio"] <= TARGET else "misses"
    return [
        "",
        "## Memory with many releases on disk",
        "",
        f"{measured['size']}x: `psfkg serve` ({measured['workers']} workers; master and workers "
        f"summed) after the same mix of {measured['turns']} turns (release homes, downloads, "
        "changes, mementos, TimeMaps, Accept-Datetime, current pages, search, a query).",
        "",
        "| releases on disk | RSS MiB | PSS MiB | answers |",
        "|---:|---:|---:|---|",
        *(
            f"| {m['releases']} | {m['rss_mib']:.1f} | {m['pss_mib']:.1f} | "
            + ", ".join(f"{n} x {s}" for s, n in sorted(m["statuses"].items()))
            + " |"
            for m in (one, many)
        ),
        "",
        f"RSS ratio {measured['rss_ratio']:.3f} (PSS {measured['pss_ratio']:.3f}): "
        f"{verdict} the target of {TARGET}x.",
    ]


def main() -> None:
    """Measure at 10x with 20 releases, or at 1x with 5 (``--quick``); print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1x and 5 releases, not 10x and 20.")
    parser.add_argument("--workers", type=int, default=WORKERS, help="The server's workers.")
    args = parser.parse_args()
    projects = len(records.load(PROJECT_ROOT / "data").projects)
    size, count = (1, QUICK) if args.quick else (10, RELEASES)
    measured = measure(size, projects, base=BASE_IRI, count=count, workers=args.workers)
    print("\n".join(table(measured)))


if __name__ == "__main__":
    main()
