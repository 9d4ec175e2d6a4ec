"""Load test of psfkg's real server (``make loadtest``); a script, not a test.

It starts ``psfkg serve`` (gunicorn, its default workers) with :func:`tests.live.live_server` on
127.0.0.1, on the PSF release in ``releases/loadtest/`` (built first if there is none), with
``PSFKG_QUERY_TIMEOUT`` from ``--timeout`` and no rate limit, and runs three phases:

1. **baseline**: ``--clients`` "researcher" threads, each with its own HTTP connection, loop over
   a mix of the named queries as CSV (``/queries/<name>.csv``), the SPARQL query mix of
   ``benchmarks/queries/`` through ``/sparql`` (SPARQL JSON; JSON-LD for DESCRIBE), HTML pages
   and dump downloads, for ``--duration`` seconds; each request's kind, status and latency is kept;
2. **runaway**: the same researchers plus ``--runaway`` clients that send a query far too big to
   finish, again and again, each expecting 503 at the deadline;
3. **soak**: researchers and runaway clients for ``--soak`` seconds, while the memory of the
   server's process tree (the process ``live_server`` started, its gunicorn workers and their
   query children, found through ``/proc``) is sampled.

It stops by itself, prints Markdown tables and the targets (met / not met), and writes
everything as JSON (``--out``). The targets:

- no error for the researchers: any status but 2xx or 304 (or no answer) is one;
- the researchers' p99 with runaway clients at most 3x their p99 without;
- every runaway query answered 503 within 1 s of its deadline (``--timeout``);
- memory flat over the soak: the end's total RSS at most the start's plus 10 % or 50 MiB,
  whichever is more; the start and the end are each the median of three samples, since a query
  child killed at its deadline and forked again comes and goes between samples.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psfkg.config import PROJECT_ROOT, Settings

sys.path.insert(0, str(PROJECT_ROOT))  # tests/ as a package
from benchmarks.attacks import ATTACKS
from benchmarks.benchmark import JSON_RESULTS, ms, percentile, psfkg, sparql_path
from benchmarks.processes import memory, server_pid
from benchmarks.researchers import (
    KINDS,
    WORKERS,
    Hit,
    Session,
    Target,
    crowd,
    latencies,
    mix,
    statuses,
    warm_up,
)
from benchmarks.under_attack import attack_table, run_attacks
from tests.live import RUNAWAY, live_server

LOADTEST = PROJECT_ROOT / "releases" / "loadtest"
#: Researchers' p99 with runaway clients / without, at most.
P99_FACTOR = 3.0
#: Seconds a runaway query's 503 may come before or after its deadline.
NEAR_DEADLINE = 1.0
#: The soak's end RSS may pass its start by this share or by this many MiB, whichever is more.
MEMORY_SHARE, MEMORY_MIB = 0.10, 50.0
#: Samples taken at each end of the soak, whose median is its start (or end).
ENDS = 3
#: The warm-up's clients' addresses, under --attacks: 127.0.2.<n>.
WARM_UP = 2
#: Seconds between memory samples during the soak, at least and at most.
SAMPLE_EVERY = (1.0, 10.0)


@dataclass
class Phase:
    """What the clients of one phase saw."""

    name: str
    seconds: float
    runaways: int
    elapsed: float = 0.0
    researchers: list[Hit] = field(default_factory=list)
    runaway: list[Hit] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)


def runaway(base: str, until: float, wait: float, out: list[Hit]) -> None:
    """Send the runaway query again and again until the monotonic time ``until``."""
    session, path = Session(base, wait), sparql_path(RUNAWAY)
    while time.monotonic() < until:
        begin = time.perf_counter()
        status = session.fetch(path, JSON_RESULTS)
        out.append(Hit("runaway", "runaway", status, time.perf_counter() - begin))


def run_phase(
    base: str,
    targets: list[Target],
    phase: Phase,
    *,
    clients: int,
    wait: float,
    meanwhile: Callable[[float], None] | None = None,
) -> Phase:
    """Run the phase's clients for its seconds (then let each finish its request: ``elapsed``
    counts that too); call
    ``meanwhile(until)`` from this thread while they run."""
    print(
        f"{phase.name}: {clients} researchers, {phase.runaways} runaway clients, "
        f"{phase.seconds:g} s",
        file=sys.stderr,
        flush=True,
    )
    until = time.monotonic() + phase.seconds
    started = time.monotonic()
    threads, lists = crowd(base, targets, clients, until, wait, None)
    runs: list[list[Hit]] = [[] for _ in range(phase.runaways)]
    for out in runs:
        threads.append(threading.Thread(target=runaway, args=(base, until, wait, out), daemon=True))
        threads[-1].start()
    if meanwhile is not None:
        meanwhile(until)
    for thread in threads:  # bounded: a request gives up after ``wait`` seconds
        thread.join(max(0.0, until - time.monotonic()) + wait + 5)
    phase.elapsed = time.monotonic() - started
    phase.researchers = [hit for hits in lists for hit in hits]
    phase.runaway = [hit for hits in runs for hit in hits]
    return phase


def sampler(root: int, into: list[dict[str, Any]], every: float) -> Callable[[float], None]:
    """A ``meanwhile`` for :func:`run_phase`: memory samples from shortly after the start
    until shortly before ``until``, ``every`` seconds, the last ``ENDS`` one second apart."""

    def sample_until(until: float) -> None:
        started = time.monotonic()
        time.sleep(min(1.0, max(0.0, until - started) / 4))
        while time.monotonic() < until - ENDS:
            into.append(memory(root, started))
            time.sleep(max(0.0, min(every, until - ENDS - time.monotonic())))
        for _ in range(ENDS):
            into.append(memory(root, started))
            time.sleep(max(0.0, min(1.0, until - time.monotonic() - 0.1)))

    return sample_until


# -- summaries ------------------------------------------------------------------------------


def researchers(phase: Phase) -> dict[str, Any]:
    """The researchers' latencies overall, by kind, and by request."""
    hits, seconds = phase.researchers, phase.seconds
    names = sorted({(hit.kind, hit.name) for hit in hits})
    return {
        "all": latencies(hits, seconds),
        "by_kind": {k: latencies([h for h in hits if h.kind == k], seconds) for k in KINDS},
        "by_request": {
            f"{kind} {name}": latencies(
                [h for h in hits if (h.kind, h.name) == (kind, name)], seconds
            )
            for kind, name in names
        },
    }


def runaways(phase: Phase, timeout: float) -> dict[str, Any]:
    """The runaway queries: their statuses, and how long each 503 took, in seconds."""
    waits = sorted(hit.seconds for hit in phase.runaway if hit.status == 503)
    near = [s for s in waits if abs(s - timeout) <= NEAR_DEADLINE]
    return {
        "queries": len(phase.runaway),
        "by_status": statuses(phase.runaway),
        "timeouts_503": len(waits),
        "non_503": len(phase.runaway) - len(waits),
        "near_deadline": len(near),
        "min_s": waits[0] if waits else None,
        "p50_s": percentile(waits, 50) / 1000 if waits else None,
        "max_s": waits[-1] if waits else None,
    }


def soak_memory(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The soak's start and end RSS (each the median of ENDS samples) and the rule's verdict."""
    if len(samples) < 2:
        return {"start_mib": None, "end_mib": None, "allowed_mib": None, "flat": None}
    ends = min(ENDS, len(samples) // 2)
    start = statistics.median(s["rss_mib"] for s in samples[:ends])
    end = statistics.median(s["rss_mib"] for s in samples[-ends:])
    allowed = max(MEMORY_SHARE * start, MEMORY_MIB)
    return {
        "start_mib": start,
        "end_mib": end,
        "start_pss_mib": statistics.median(s["pss_mib"] for s in samples[:ends]),
        "end_pss_mib": statistics.median(s["pss_mib"] for s in samples[-ends:]),
        "growth_mib": end - start,
        "allowed_mib": allowed,
        "flat": end - start <= allowed,
        "rule": f"end <= start + max({MEMORY_SHARE:.0%} of start, {MEMORY_MIB:g} MiB); "
        f"start and end: the median RSS of the first and last {ends} samples",
    }


def targets_met(report: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    """Each target: its name, whether it is met (None: not measured), and its numbers."""
    phases = report["phases"]
    errors = {name: p["researchers"]["all"]["errors"] for name, p in phases.items()}
    requests = sum(p["researchers"]["all"]["requests"] for p in phases.values())
    by_status: collections.Counter[str] = collections.Counter()
    for p in phases.values():
        by_status.update(p["researchers"]["all"]["errors_by_status"])
    status_text = ", ".join(f"{s}: {n}" for s, n in by_status.most_common()) or "none"
    found = [
        {
            "target": "no error for the researchers' requests (2xx or 304)",
            "met": sum(errors.values()) == 0,
            "detail": f"{sum(errors.values())} errors of {requests:,} requests "
            f"({', '.join(f'{k} {v}' for k, v in errors.items())}); by status: {status_text}",
        }
    ]
    without = phases["baseline"]["researchers"]["all"]["p99_ms"]
    with_runaway = phases["runaway"]["researchers"]["all"]["p99_ms"]
    factor = with_runaway / without if without and with_runaway is not None else None
    found.append(
        {
            "target": f"researchers' p99 with runaway clients within {P99_FACTOR:g}x of without",
            "met": factor is not None and factor <= P99_FACTOR,
            "detail": f"{ms(with_runaway)} ms with, {ms(without)} ms without: "
            + ("–" if factor is None else f"{factor:.1f}x"),
        }
    )
    runs = [p["runaway"] for name, p in phases.items() if name != "baseline"]
    queries, answered = sum(r["queries"] for r in runs), sum(r["timeouts_503"] for r in runs)
    near = sum(r["near_deadline"] for r in runs)
    lows = [r["min_s"] for r in runs if r["min_s"] is not None]
    highs = [r["max_s"] for r in runs if r["max_s"] is not None]
    span = f"{min(lows):.2f}–{max(highs):.2f} s" if lows else "–"
    found.append(
        {
            "target": f"every runaway query answered 503 within {NEAR_DEADLINE:g} s of its "
            f"deadline ({timeout:g} s)",
            "met": near == queries if queries else None,
            "detail": f"{answered} of {queries} answered 503 ({near} near the deadline), "
            f"{queries - answered} not; time to 503: {span}",
        }
    )
    mem = report["memory"]["soak"]
    found.append(
        {
            "target": "memory flat over the soak",
            "met": mem["flat"],
            "detail": "not measured (no soak)"
            if mem["flat"] is None
            else f"RSS {mem['start_mib']:,.1f} -> {mem['end_mib']:,.1f} MiB "
            f"({mem['growth_mib']:+,.1f} MiB, {mem['growth_mib'] / mem['start_mib']:+.1%}; "
            f"allowed +{mem['allowed_mib']:,.1f}); rule: {mem['rule']}",
        }
    )
    return found


# -- reporting ------------------------------------------------------------------------------


def cells(row: dict[str, Any]) -> str:
    """Requests (per second), errors, p50 and p99 of a latency summary, as table cells."""
    return (
        f"{row['requests']:,} ({row['requests_per_s']:,.0f}/s) | {row['errors']} "
        f"| {ms(row['p50_ms'])} | {ms(row['p99_ms'])}"
    )


def tables(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    s, phases = report["settings"], report["phases"]
    heads = [
        f"{name} ({p['seconds']:.0f} s, {p['runaway_clients']} runaway)"
        for name, p in phases.items()
    ]
    out = [
        f"## Researchers: {s['clients']} clients, {WORKERS} workers, query timeout "
        f"{s['timeout']:g} s (latency in ms)",
        "",
        "| kind | "
        + " | ".join(f"{h}: requests | errors | p50 | p99" for h in heads)
        + " | p99 runaway / baseline |",
        "|---|" + "---:|" * (4 * len(phases) + 1),
    ]
    for kind in (*KINDS, "all"):
        rows = [p["researchers"]["all" if kind == "all" else "by_kind"] for p in phases.values()]
        rows = [r if kind == "all" else r[kind] for r in rows]
        base, run = rows[0]["p99_ms"], rows[1]["p99_ms"]
        factor = f"{run / base:.1f}x" if base and run is not None else "–"
        label = f"**{kind}**" if kind == "all" else kind
        out.append(f"| {label} | " + " | ".join(cells(r) for r in rows) + f" | {factor} |")
    out += [
        "",
        "## Runaway clients (time to answer in s)",
        "",
        "| phase | queries | 503 | other statuses | min | p50 | max |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for name, p in phases.items():
        r = p["runaway"]
        if not p["runaway_clients"]:
            continue
        others = ", ".join(f"{k}: {v}" for k, v in r["by_status"].items() if k != "503") or "–"
        times = [("–" if r[k] is None else f"{r[k]:.2f}") for k in ("min_s", "p50_s", "max_s")]
        out.append(
            f"| {name} | {r['queries']} | {r['timeouts_503']} | {others} | "
            + " | ".join(times)
            + " |"
        )
    mem = report["memory"]
    out += [
        "",
        "## Memory of the server (master, workers and query children; MiB)",
        "",
        "| when | processes | total RSS | total PSS |",
        "|---|---:|---:|---:|",
    ]
    samples = mem["samples"]
    shown = sorted({0, *range(0, len(samples), max(1, len(samples) // 5)), len(samples) - 1})
    rows = [("idle, before the load", mem["idle_before"])]
    rows += [(f"soak, +{samples[i]['t_s']:g} s", samples[i]) for i in shown if samples]
    rows += [("idle, after the load", mem["idle_after"])]
    for label, m in rows:
        out.append(f"| {label} | {m['processes']} | {m['rss_mib']:,.1f} | {m['pss_mib']:,.1f} |")
    if mem["soak"]["flat"] is not None:
        out.append(
            f"| **soak start → end** (median of {ENDS}) | | {mem['soak']['start_mib']:,.1f} → "
            f"{mem['soak']['end_mib']:,.1f} | {mem['soak']['start_pss_mib']:,.1f} → "
            f"{mem['soak']['end_pss_mib']:,.1f} |"
        )
    out += ["", "## Targets", ""]
    for t in report["targets"]:
        verdict = "not measured" if t["met"] is None else "met" if t["met"] else "not met"
        out.append(f"- **{verdict}**: {t['target']}: {t['detail']}")
    return "\n".join(out)


# -- the run --------------------------------------------------------------------------------


def release() -> Path:
    """The releases folder of the load test, with the PSF release built into it if needed."""
    if not (LOADTEST / "latest").is_dir():
        print(f"building the PSF release into {LOADTEST} ...", file=sys.stderr, flush=True)
        psfkg("build", "--out", LOADTEST)
    return LOADTEST


def main() -> None:
    """Parse the arguments, run the three phases (or the attacks) against the real server,
    report."""
    defaults = Settings.from_env({})
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        help="Seconds of phases 1 and 2 (default 60), or of each attack (default 20).",
    )
    parser.add_argument("--soak", type=float, default=600, help="Seconds of the soak (0: none).")
    parser.add_argument("--runaway", type=int, default=3, help="Runaway query clients.")
    parser.add_argument("--clients", type=int, default=32, help="Researcher clients.")
    parser.add_argument("--timeout", type=float, default=5, help="PSFKG_QUERY_TIMEOUT, seconds.")
    parser.add_argument(
        "--attacks",
        nargs="?",
        const=",".join(ATTACKS),
        help="Instead of the three phases, these attacks (comma-separated; all when no names: "
        f"{', '.join(ATTACKS)}), each for --duration seconds with the researchers.",
    )
    parser.add_argument(
        "--after", type=float, default=5, help="Seconds of researchers alone after each attack."
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=defaults.rate_limit,
        help="PSFKG_RATE_LIMIT of the attacks (loopback held to it; each researcher has an "
        "address of its own).",
    )
    parser.add_argument(
        "--query-memory",
        type=int,
        default=defaults.query_memory,
        help="PSFKG_QUERY_MEMORY of the attacks, bytes (less on a machine shared with others).",
    )
    parser.add_argument("--out", type=Path, help="The JSON report (default: in releases/loadtest).")
    args = parser.parse_args()
    args.duration = args.duration or (20 if args.attacks else 60)
    if args.duration <= 0 or args.soak < 0 or args.clients < 1 or args.runaway < 0:
        parser.error("--duration and --clients must be positive, --soak and --runaway not negative")
    if args.timeout <= 0 or args.after <= 0 or args.query_memory <= 0 or args.rate_limit < 0:
        parser.error("--timeout, --after and --query-memory must be positive")
    names = args.attacks.split(",") if args.attacks else []
    unknown = [n for n in names if n not in ATTACKS]
    if unknown:
        parser.error(f"no attack {', '.join(unknown)}; there are {', '.join(ATTACKS)}")
    args.out = args.out or LOADTEST / ("attacks.json" if names else "loadtest.json")
    # A request gives up after this: a runaway query waits for its deadline, the rest queue.
    wait = 3 * args.timeout + 60
    report, text = attacks(args, names, wait, defaults) if names else three_phases(args, wait)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(text)
    print(f"\nJSON: {args.out}")


def attacks(
    args: argparse.Namespace, names: list[str], wait: float, defaults: Settings
) -> tuple[dict[str, Any], str]:
    """The attacks, on a server that holds loopback clients to its rate limit and fair share;
    the report and its table."""
    settings = {
        "timeout": args.timeout,
        "rate_limit": args.rate_limit,
        "query_memory": args.query_memory,
        "answer_cache_bytes": defaults.answer_cache_bytes,
        "client_share": defaults.client_share,
    }
    env = {
        "PSFKG_HOST": "127.0.0.1",
        "PSFKG_STORE": "embedded",
        "PSFKG_QUERY_TIMEOUT": f"{args.timeout:g}",
        "PSFKG_QUERY_MEMORY": str(args.query_memory),
        "PSFKG_RATE_LIMIT": str(args.rate_limit),
        "PSFKG_RATE_LIMIT_LOOPBACK": "1",
    }
    targets = mix()
    with live_server(releases=release(), workers=WORKERS, env=env, startup=600) as base:
        root = server_pid(urllib.parse.urlsplit(base).port or 0)
        print(f"server {base} (pid {root}); warming up", file=sys.stderr, flush=True)
        failed = warm_up(base, targets, wait, WARM_UP)
        if failed:
            print(f"warning: failed in the warm-up: {', '.join(failed)}", file=sys.stderr)
        found = run_attacks(
            base,
            root,
            targets,
            names,
            clients=args.clients,
            seconds=args.duration,
            after=args.after,
            wait=wait,
            settings=settings,
        )
    report: dict[str, Any] = {
        "settings": vars(args) | {"out": str(args.out), "workers": WORKERS, "base": base}
    }
    report |= {"warm_up_failures": failed, "attacks": found}
    return report, attack_table(found)


def three_phases(args: argparse.Namespace, wait: float) -> tuple[dict[str, Any], str]:
    """The baseline, runaway and soak phases; the report and its tables."""
    targets = mix()
    env = {
        "PSFKG_HOST": "127.0.0.1",
        "PSFKG_STORE": "embedded",
        "PSFKG_QUERY_TIMEOUT": f"{args.timeout:g}",
        "PSFKG_RATE_LIMIT": "0",
    }
    phases = [
        Phase("baseline", args.duration, 0),
        Phase("runaway", args.duration, args.runaway),
    ]
    if args.soak:
        phases.append(Phase("soak", args.soak, args.runaway))
    every = min(max(args.soak / 60, SAMPLE_EVERY[0]), SAMPLE_EVERY[1])
    with live_server(releases=release(), workers=WORKERS, env=env, startup=600) as base:
        root = server_pid(urllib.parse.urlsplit(base).port or 0)
        print(f"server {base} (pid {root}); warming up", file=sys.stderr, flush=True)
        failed = warm_up(base, targets, wait)
        if failed:
            print(f"warning: failed in the warm-up: {', '.join(failed)}", file=sys.stderr)
        clock = time.monotonic()
        idle_before = memory(root, clock)
        for phase in phases:
            meanwhile = sampler(root, phase.memory, every) if phase.name == "soak" else None
            run_phase(base, targets, phase, clients=args.clients, wait=wait, meanwhile=meanwhile)
        time.sleep(1)  # let the last killed query children be reaped
        idle_after = memory(root, clock)
    samples = next((p.memory for p in phases if p.name == "soak"), [])
    report: dict[str, Any] = {
        "settings": vars(args) | {"out": str(args.out), "workers": WORKERS, "base": base},
        "mix": [t._asdict() for t in targets],
        "runaway_query": RUNAWAY,
        "warm_up_failures": failed,
        "phases": {
            p.name: {
                "seconds": p.seconds,
                "elapsed_s": p.elapsed,
                "runaway_clients": p.runaways,
                "researchers": researchers(p),
                "runaway": runaways(p, args.timeout),
                "runaway_seconds": [(h.status, round(h.seconds, 3)) for h in p.runaway],
            }
            for p in phases
        },
        "memory": {
            "idle_before": idle_before,
            "samples": samples,
            "idle_after": idle_after,
            "soak": soak_memory(samples),
        },
    }
    report["targets"] = targets_met(report, args.timeout)
    return report, tables(report)


if __name__ == "__main__":
    main()
