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
- every runaway query answered 503 within 1 s of its deadline (``--timeout``), or within 1.25 s
  when the server's long slots are all taken;
- memory flat over the soak: the end's total RSS at most the start's plus 10 % or 50 MiB,
  whichever is more; the start and the end are each the median of three samples, since a query
  child killed at its deadline and forked again comes and goes between samples.

With ``--attacks`` (all of them, or ``--attacks memory,flood``...) it runs the attacks of
:mod:`benchmarks.attacks` instead (:mod:`benchmarks.under_attack`): on a server that holds
loopback clients to its rate limit and fair share (``PSFKG_RATE_LIMIT_LOOPBACK``, with
``--rate-limit`` and ``--query-memory``), the researchers alone, then each attack with them for
``--duration`` seconds (20 by default) and the researchers alone for ``--after`` seconds; every
client, honest or not, from an address of its own in 127/8. It prints a table: each attack, what
its attackers got, the researchers' errors and p99 against their baseline, the peak PSS of the
server's process tree against its bound, how it was after, and met / not met.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from psfkg.config import PROJECT_ROOT, Settings

sys.path.insert(0, str(PROJECT_ROOT))  # tests/ as a package
from benchmarks.attacks import ATTACKS
from benchmarks.benchmark import psfkg
from benchmarks.phases import (
    SAMPLE_EVERY,
    Phase,
    researchers,
    run_phase,
    runaways,
    sampler,
    soak_memory,
    tables,
    targets_met,
)
from benchmarks.processes import memory, server_pid
from benchmarks.researchers import (
    WORKERS,
    mix,
    warm_up,
)
from benchmarks.under_attack import attack_table, run_attacks
from tests.live import RUNAWAY, live_server

LOADTEST = PROJECT_ROOT / "releases" / "loadtest"
#: The warm-up's clients' addresses, under --attacks: 127.0.2.<n>.
WARM_UP = 2


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
