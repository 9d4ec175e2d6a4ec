"""Search latency (a section of ``make bench``): the release's index, queried in-process.

Each query of :data:`QUERIES` (a name, a misspelt name, words as one types them, a word nearly
every label has) is run against ``search.sqlite`` through :class:`psfkg.index.Index`, as the
``/search`` routes run it, minus HTTP. Run alone, it times one index:
``python benchmarks/search_latency.py releases/bench/1000x/releases/latest/search.sqlite``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from psfkg.index import Index

#: (what is typed, whether the last word is a prefix, as in suggestions)
QUERIES = (
    ("University of Turku", False),
    ("Univrsity of Trku", False),
    ("univ", True),
    ("Municipality of Gda", True),
    ("border guard", False),
    ("tromso", False),
    ("of", False),
    ("zzzzqqq", False),
)
#: Results asked for, as /search.json's default.
LIMIT = 10


def percentile(times: list[float], p: float) -> float:
    """The ``p``-th percentile of ``times`` (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def measure(index_file: Path, *, runs: int = 200, warmup: int = 5) -> dict[str, Any]:
    """p50 and p99 (ms) of each query and of all of them, ``runs`` times each."""
    index = Index(index_file)
    rows, every = [], []
    for q, prefix in QUERIES:
        for _ in range(warmup):
            index.search(q, limit=LIMIT, prefix=prefix)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            found = index.search(q, limit=LIMIT, prefix=prefix)
            times.append((time.perf_counter() - start) * 1000)
        every += times
        rows.append(
            {
                "query": q,
                "prefix": prefix,
                "total": found.total,
                "more": found.more,
                "first": found.hits[0].label if found.hits else None,
                "p50_ms": statistics.median(times),
                "p99_ms": percentile(times, 99),
            }
        )
    return {
        "bytes": index_file.stat().st_size,
        "queries": rows,
        "p50_ms": statistics.median(every),
        "p99_ms": percentile(every, 99),
    }


def table(measured: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown: one row per query, a column pair (p50, p99) per dataset."""
    names = list(measured)
    lines = [
        "",
        "## Search latency",
        "",
        f"The release's search index (search.sqlite), queried in-process as /search does, "
        f"{LIMIT} results, minus HTTP. ms, p50 / p99.",
        "",
        "| query | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for n, (q, prefix) in enumerate(QUERIES):
        cells = [
            f"{m['queries'][n]['p50_ms']:.2f} / {m['queries'][n]['p99_ms']:.2f}"
            for m in measured.values()
        ]
        lines.append(f"| `{q}`{' (as typed)' if prefix else ''} | " + " | ".join(cells) + " |")
    lines.append(
        "| all | "
        + " | ".join(f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f}" for m in measured.values())
        + " |"
    )
    sizes = " | ".join(f"{m['bytes'] / 2**20:.1f} MiB" for m in measured.values())
    lines.append(f"| index size | {sizes} |")
    return lines


def main() -> None:
    """Time one index file and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path, help="A search.sqlite.")
    parser.add_argument("--runs", type=int, default=200, help="Timed runs per query.")
    args = parser.parse_args()
    print("\n".join(table({args.index.parent.name: measure(args.index, runs=args.runs)})))


if __name__ == "__main__":
    main()
