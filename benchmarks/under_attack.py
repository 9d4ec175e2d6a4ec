"""``make loadtest`` with ``--attacks``: the researchers under each attack of
:mod:`benchmarks.attacks`, and the table of what each attack did.

First the researchers run alone (their p99 is the baseline), then, for each attack, with its
attackers for the same time; when the attackers are done, the researchers run alone once more
(``after``). Meanwhile the memory of the server's whole process tree (the sum of its PSS) is
sampled. An attack's targets:

- its attackers each got a clear answer (4xx or 503) or were dropped; a slow reader got its whole
  file; the flood's 2xx answers stayed within the rate limit (and the rest were 429 with
  Retry-After); forged Host or X-Forwarded-* headers got 400 or links without the forged host;
- no error for the researchers, and their p99 within P99_FACTOR of the baseline's;
- the server's peak memory under its bound: its idle PSS plus, for each worker (one evaluation
  at a time), ``PSFKG_QUERY_MEMORY`` and ``PSFKG_ANSWER_CACHE_BYTES``;
- after the attack, as before: no error for the researchers, and their p99 within P99_FACTOR.
"""

from __future__ import annotations

import collections
import math
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from benchmarks.attacks import ATTACKS, Aim, Attack, launch
from benchmarks.benchmark import ms
from benchmarks.processes import memory
from benchmarks.researchers import WORKERS, Target, crowd, latencies

#: Researchers' p99 under attack (and after it) / without, at most.
P99_FACTOR = 3.0
#: The researchers' addresses: 127.0.<RESEARCHERS + run>.<n>, new for each run of them, so
#: that no run inherits the rate-limit windows of the one before.
RESEARCHERS = 100
#: Seconds between samples of the server's memory.
SAMPLE_EVERY = 0.5


class Peak:
    """A thread sampling the PSS of a process tree until stopped; its highest sample."""

    def __init__(self, root: int) -> None:
        self.root, self.mib, self.stop = root, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop.is_set():
            self.mib = max(self.mib, memory(self.root, 0.0)["pss_mib"])
            self.stop.wait(SAMPLE_EVERY)

    def done(self) -> float:
        """Stop sampling; the peak, MiB."""
        self.stop.set()
        self.thread.join()
        return self.mib


def researchers(
    base: str, targets: list[Target], clients: int, seconds: float, wait: float, run: int
) -> Callable[[], dict[str, Any]]:
    """Start the researchers for ``seconds``; a function that waits for them and gives their
    latencies, and the requests a minute of the busiest."""
    until = time.monotonic() + seconds
    threads, lists = crowd(base, targets, clients, until, wait, RESEARCHERS + run)

    def finish() -> dict[str, Any]:
        for thread in threads:  # bounded: a request gives up after ``wait`` seconds
            thread.join(seconds + wait + 5)
        busiest = max(len(hits) for hits in lists) * 60 / seconds
        return latencies([hit for hits in lists for hit in hits], seconds) | {
            "busiest_per_min": busiest
        }

    return finish


def counted(counts: dict[str, int]) -> str:
    """``503 deadline: 40, dropped: 2``: outcomes (or statuses) and how many times."""
    return ", ".join(f"{name}: {n}" for name, n in counts.items()) or "none"


def attack_row(
    attack: Attack,
    outcomes: list[Any],
    during: dict[str, Any],
    after: dict[str, Any],
    *,
    baseline_p99: float,
    peak: float,
    bound: float,
    rate_limit: int,
    seconds: float,
) -> dict[str, Any]:
    """One row of the table: the attack's outcomes and whether each target is met."""
    labels = [o.label for o in outcomes]
    right: bool | None = bool(labels) and all(attack.expected(o) for o in labels)
    if attack.limited:
        allowed = rate_limit * math.ceil(seconds / 60)
        if not rate_limit:
            right = None  # no limit to pass: not measured
        elif sum(o.startswith("2") for o in labels) > allowed:
            right = False
        # Else right as its answers are: past the limit, 429s; short of it, the front's queue
        # per client held the flood to its turn, and the researchers' figures say whether
        # that was enough.
    p99, p99_after = during["p99_ms"], after["p99_ms"]
    factor = p99 / baseline_p99 if p99 is not None and baseline_p99 else None
    factor_after = p99_after / baseline_p99 if p99_after is not None and baseline_p99 else None
    checks: dict[str, bool | None] = {
        "attacker": right,
        "honest_errors": during["errors"] == 0,
        "honest_p99": factor is not None and factor <= P99_FACTOR,
        "memory": peak <= bound,
        "after": after["errors"] == 0 and factor_after is not None and factor_after <= P99_FACTOR,
    }
    return {
        "attack": attack.name,
        "what": attack.what,
        "attackers": attack.attackers,
        "attacker_answers": dict(collections.Counter(labels).most_common()),
        "reads": [(o.received, o.length) for o in outcomes if o.length is not None],
        "honest": during,
        "honest_p99_factor": factor,
        "after": after,
        "after_p99_factor": factor_after,
        "peak_pss_mib": peak,
        "checks": checks,
        "met": None if None in checks.values() else all(checks.values()),
    }


def run_attacks(
    base: str,
    root: int,
    targets: list[Target],
    names: list[str],
    *,
    clients: int,
    seconds: float,
    after: float,
    wait: float,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The baseline, then each attack of ``names`` with the researchers, then ``after`` seconds
    of researchers alone; the report's ``attacks`` section."""
    port = urllib.parse.urlsplit(base).port or 0
    idle = memory(root, 0.0)["pss_mib"]
    per_worker = settings["query_memory"] + settings["answer_cache_bytes"]
    bound = idle + WORKERS * per_worker / 2**20
    print(f"attacks: baseline, {clients} researchers, {seconds:g} s", file=sys.stderr, flush=True)
    peak = Peak(root)
    baseline = researchers(base, targets, clients, seconds, wait, 0)()
    rows = [
        {
            "attack": "none (baseline)",
            "honest": baseline,
            "peak_pss_mib": peak.done(),
        }
    ]
    for index, name in enumerate(names):
        attack = ATTACKS[name]
        print(f"attack {name}: {attack.what}, {seconds:g} s", file=sys.stderr, flush=True)
        peak = Peak(root)
        finish = researchers(base, targets, clients, seconds, wait, 1 + 2 * index)
        aim = Aim(port, time.monotonic() + seconds, wait)
        threads, outcomes = launch(attack, index, aim)
        during = finish()
        for thread in threads:  # a slow reader finishes its file; the others end with the attack
            thread.join(max(0.0, aim.until - time.monotonic()) + wait + 5)
        later = researchers(base, targets, clients, after, wait, 2 + 2 * index)()
        rows.append(
            attack_row(
                attack,
                list(outcomes),
                during,
                later,
                baseline_p99=baseline["p99_ms"],
                peak=peak.done(),
                bound=bound,
                rate_limit=settings["rate_limit"],
                seconds=seconds,
            )
        )
    return {
        "settings": settings | {"seconds": seconds, "after_s": after, "clients": clients},
        "idle_pss_mib": idle,
        "memory_bound_mib": bound,
        "memory_bound": f"idle PSS {idle:,.0f} MiB + {WORKERS} workers x (PSFKG_QUERY_MEMORY "
        f"{settings['query_memory'] / 2**20:,.0f} MiB + PSFKG_ANSWER_CACHE_BYTES "
        f"{settings['answer_cache_bytes'] / 2**20:,.0f} MiB)",
        "rows": rows,
    }


def verdict(ok: bool | None) -> str:
    """``met``, ``not met`` or ``not measured``."""
    return "not measured" if ok is None else "met" if ok else "**not met**"


def attack_table(report: dict[str, Any]) -> str:
    """The attacks section as Markdown."""
    s, rows = report["settings"], report["rows"]
    base = rows[0]["honest"]
    out = [
        f"## Under attack: {s['clients']} researchers, {WORKERS} workers, {s['seconds']:g} s "
        f"each, query timeout {s['timeout']:g} s, rate limit {s['rate_limit']}/min "
        "(loopback held to it)",
        "",
        f"Baseline (no attacker): {base['requests']:,} requests, {base['errors']} errors, "
        f"p99 {ms(base['p99_ms'])} ms, the busiest researcher at {base['busiest_per_min']:,.0f} "
        f"requests a minute; peak memory {rows[0]['peak_pss_mib']:,.0f} MiB. "
        f"Memory bound: {report['memory_bound']} = {report['memory_bound_mib']:,.0f} MiB "
        "(PSS of the server's whole process tree, sampled every "
        f"{SAMPLE_EVERY:g} s). After: the researchers alone for {s['after_s']:g} s.",
        "",
        "| attack | attacker answers | honest errors | honest p99 / baseline p99 "
        "| peak memory (MiB) | after | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in rows[1:]:
        c, h, a = r["checks"], r["honest"], r["after"]
        errors = f"{h['errors']} of {h['requests']:,}" + (
            f" ({counted(h['errors_by_status'])})" if h["errors"] else ""
        )
        factor = r["honest_p99_factor"]
        p99 = f"{ms(h['p99_ms'])} / {ms(base['p99_ms'])} ms = " + (
            "–" if factor is None else f"{factor:.1f}x"
        )
        after = f"{a['errors']} errors, p99 " + (
            "–" if r["after_p99_factor"] is None else f"{r['after_p99_factor']:.1f}x"
        )
        failed = [f"{k}{'?' if ok is None else ''}" for k, ok in c.items() if not ok]
        out.append(
            f"| {r['attack']}: {r['what']} ({r['attackers']}) "
            f"| {counted(r['attacker_answers'])} "
            f"| {errors} | {p99} "
            f"| {r['peak_pss_mib']:,.0f} of {report['memory_bound_mib']:,.0f} "
            f"| {after} | {verdict(r['met'])}{' (' + ', '.join(failed) + ')' if failed else ''} |"
        )
    return "\n".join(out)
