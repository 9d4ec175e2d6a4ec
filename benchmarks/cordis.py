"""The build at CORDIS scale (``make bench-cordis``): 100,000 synthetic projects, about 20 M
quads, built, bulk-loaded into a real Virtuoso and queried through psfkg; a script, not a test.

It makes the data with ``psfkg synth`` (kept under ``releases/bench/100000x/`` with the release,
and reused while the build's inputs are unchanged, as ``make bench`` does), times
``psfkg build`` in a child with its peak memory and each step's seconds and peak, loads the
release into Virtuoso with ``psfkg publish --bulk``'s loader (the staged load, then the swap,
then the counts), and times the query mix in ``queries/`` on Virtuoso's own endpoint and
through psfkg's server on it (``PSFKG_STORE``), as ``make bench`` does at 1x-100x.

Needs about 20 GiB of memory and 60 GB of disk; ``--projects`` makes a smaller run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from psfkg.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from benchmarks import benchmark as bench

#: Virtuoso's page cache for the run, in 8 kB pages: 4 GB, what its guide gives a machine of
#: 8 GB (the build has ended when it starts).
BUFFERS = 4 * 85_000


def table(rows: list[dict[str, Any]], quads: int) -> list[str]:
    """The query mix: psfkg's server on Virtuoso against Virtuoso's own endpoint (ms)."""
    out = [
        f"## The query mix on Virtuoso ({quads:,} quads)",
        "",
        "(b) psfkg's server on Virtuoso (`PSFKG_STORE`, 4 workers); (c) Virtuoso's own "
        "`/sparql` asked as psfkg asks it (the release's graphs, SPARQL JSON or N-Triples). "
        f"Loaded by `psfkg publish --bulk`'s loader in {rows[0]['load_s']:.1f} s.",
        "",
        "| query | rows (b) | rows (c) | (b) p50 | (b) p99 | (c) p50 | (c) p99 | (b) / (c) "
        f"| ≤ {bench.VIRTUOSO_TARGET:g}x |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        b, c = r["psfkg"], r["virtuoso"]
        out.append(
            f"| {r['query']} | {b['rows']} | {c['rows']} | {bench.times(b)} | {bench.times(c)} "
            f"| {bench.fixed(r['ratio'], 1)}x | {'met' if r['meets_target'] else 'not met'} |"
        )
    met = sum(r["meets_target"] for r in rows)
    return [*out, "", f"Within {bench.VIRTUOSO_TARGET:g}x on {met} of {len(rows)} queries."]


def main() -> None:
    """Build, load and query; print the tables and write them (and the figures as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100_000, help="Synthetic projects.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic data.")
    parser.add_argument("--runs", type=int, default=10, help="Timed runs per query and way.")
    parser.add_argument("--warmup", type=int, default=2, help="Untimed runs before those.")
    parser.add_argument("--budget", type=float, default=60, help="Seconds per query and way.")
    parser.add_argument("--rebuild", action="store_true", help="Ignore the cached release.")
    parser.add_argument(
        "--out", type=Path, default=bench.BENCH / "cordis.json", help="JSON (and .md beside it)."
    )
    args = parser.parse_args()
    # One "size" of psfkg synth's projects: prepare() multiplies it by the PSF's project count.
    dataset = bench.prepare(args.projects, projects=1, seed=args.seed, rebuild=args.rebuild)
    dataset.name = f"synthetic {args.projects:,} projects"
    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted(bench.QUERIES.glob("*.rq"))}
    stores = bench.measure_virtuoso(dataset, queries, args, buffers=BUFFERS)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "datasets": [asdict(dataset) | {"releases": str(dataset.releases)}],
        "scaling": {"sizes": [args.projects], "exponents": bench.scaling([dataset])},
        "virtuoso": stores,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    document = "\n".join([*bench.build_table(report), "", *table(stores, dataset.quads)])
    args.out.with_suffix(".md").write_text(f"# psfkg at CORDIS scale\n\n{document}\n")
    print(document)


if __name__ == "__main__":
    main()
