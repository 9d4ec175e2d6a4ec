"""The three phases of ``make loadtest``: the researchers alone, with runaway clients, and a
memory soak; their summaries, targets and tables (see :mod:`benchmarks.loadtest`)."""

from __future__ import annotations

import collections
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.benchmark import JSON_RESULTS, ms, percentile, sparql_path
from benchmarks.processes import memory
from benchmarks.researchers import KINDS, WORKERS, Hit, Session, Target, crowd, latencies, statuses
from tests.live import RUNAWAY

from psfkg.query.watchdog import SLOT_AFTER

#: Researchers' p99 with runaway clients / without, at most.
P99_FACTOR = 3.0
#: Seconds within which a runaway refused a long slot gets its 503.
BUSY_WITHIN = SLOT_AFTER + 1.0
#: Seconds a runaway query's 503 may come before or after its deadline.
NEAR_DEADLINE = 1.0
#: The soak's end RSS may pass its start by this share or by this many MiB, whichever is more.
MEMORY_SHARE, MEMORY_MIB = 0.10, 50.0
#: Samples taken at each end of the soak, whose median is its start (or end).
ENDS = 3
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
    # At its deadline, or at once when the server's long slots are all taken (503 "busy").
    near = [s for s in waits if abs(s - timeout) <= NEAR_DEADLINE or s <= BUSY_WITHIN]
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
            f"deadline ({timeout:g} s), or within {BUSY_WITHIN:g} s when the long slots are taken",
            "met": near == queries if queries else None,
            "detail": f"{answered} of {queries} answered 503 ({near} in time), "
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
