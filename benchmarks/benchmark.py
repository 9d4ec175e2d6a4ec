"""Benchmark psfkg's SPARQL endpoint (``make bench``); a script, not a test.

For the PSF release (1x) and synthetic data at 10x and 100x (``psfkg synth``; 1000x too, build
only, with ``--with-1000x``), it times each build and its steps and measures its peak memory, and
fits how both grow with the size. Then it times the researcher query mix in ``queries/``:
over HTTP against the real server (gunicorn, 4 workers), in-process with pyoxigraph (the same
store and serialisation, minus HTTP: the floor), and with rdflib's evaluator (a few runs, one at
100x, each capped, in a forked child). Next, on a real Virtuoso loaded with the release by its
bulk loader (``psfkg publish --bulk``), it times the mix through psfkg's server
(``PSFKG_STORE``) and on Virtuoso's own endpoint. Last, it compares requests per second for a
cheap query with a hello-world Flask app served the same way, in rounds that take turns, so that
the machine's drift touches both alike.
After that it times search (``search_latency.py``) at 1x, the biggest size and 1000x when built,
and compares the memory of the server with 20 releases on disk at 10x (the smallest size when 10x
is not measured; 5 releases with ``--quick-memory``) with the server with one
(``releases_memory.py``, which runs alone too, ``--quick`` at 1x).
It prints a Markdown table per section, and writes them (``bench.md``) and everything as JSON.

Built releases are cached under ``releases/bench/<size>x/``, keyed by the code, ontology, shapes
and data they were built from; everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.client
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox
import rdflib
from flask import Flask

from psfkg.build import records
from psfkg.config import PROJECT_ROOT, Settings
from psfkg.progress import Progress
from psfkg.query.bulk import bulk_publish
from psfkg.query.remote import graphs_of
from psfkg.release import Published
from psfkg.serving import options, serve

sys.path.insert(0, str(PROJECT_ROOT))  # tests/ as a package: virtuoso.py imports .live
from benchmarks import processes, releases_memory, search_latency
from tests.live import free_port, live_server, stop
from tests.virtuoso import BINARY as VIRTUOSO_BINARY
from tests.virtuoso import virtuoso

QUERIES = Path(__file__).with_name("queries")
BENCH = PROJECT_ROOT / "releases" / "bench"
BASE_IRI = "https://w3id.org/psfkg/"
ENV = {**os.environ, "PSFKG_BASE_IRI": BASE_IRI}
#: What a release is built from, besides the build's modules: a change invalidates the cache.
INPUTS = ("ontology", "shapes", "data")
#: Prints the files of the psfkg modules a build (and synth) imports.
BUILD_MODULES = """import sys, psfkg.build.pipeline, psfkg.sources.synth
files = (m.__file__ for n, m in sys.modules.items() if n.split(".")[0] == "psfkg")
print(*sorted(files), sep="\\n")"""
#: The size (x the PSF release) ``--with-1000x`` adds: its build is measured, not its queries.
HUGE = 1000
#: Bytes in a unit of ``ru_maxrss``: KiB on Linux, bytes on macOS.
MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024
WORKERS = 4
#: Arguments that run a helper server, or name the report: not settings of the run.
HIDDEN_ARGUMENTS = ("out", "serve_hello", "serve_nothing")
CHEAP = "ASK {}"
JSON_RESULTS, TURTLE = "application/sparql-results+json", "text/turtle"
N_TRIPLES, FORM = "application/n-triples", "application/x-www-form-urlencoded"
#: The steps of ``psfkg build``; each prints its name and duration as STEP reads them.
STEPS = ("records", "mapping", "reasoning", "validation", "release")
STEP = re.compile(
    r"^ +(?P<step>[a-z]+) +(?P<seconds>[0-9.]+) s(?:  .*?)?(?:, peak (?P<peak>[0-9.]+) GiB)?$",
    re.MULTILINE,
)
#: HTTP / in-process at most; psfkg / hello world at least; psfkg on Virtuoso / Virtuoso at most.
LATENCY_TARGET, THROUGHPUT_TARGET, VIRTUOSO_TARGET = 1.5, 0.8, 2.0
#: The public endpoint's cost targets: ``ASK {}`` / hello world at most; HTTP minus in-process at
#: most ``ASK {}``'s cost plus this (ms), at these sizes; faster than Virtuoso's own endpoint on
#: every query at 1x but those where the engine dominates.
ASK_COST_TARGET, OVERHEAD_MARGIN_MS, OVERHEAD_SIZES = 1.25, 0.3, (1, 10)
ENGINE_BOUND = ("country-pairs",)
#: The size at which psfkg on Virtuoso must be within VIRTUOSO_TARGET of Virtuoso's endpoint.
VIRTUOSO_GOAL_SIZE = 100
COUNTS = """PREFIX psf: <https://w3id.org/psfkg/def#>
SELECT (COUNT(DISTINCT ?p) AS ?projects) (COUNT(DISTINCT ?x) AS ?participations)
WHERE { ?p a psf:Project . OPTIONAL { ?p psf:hasParticipation ?x } }"""


@dataclass
class Dataset:
    """A built release to measure."""

    name: str
    size: int
    releases: Path
    build_seconds: float
    build_peak_mib: float
    build_steps: dict[str, float]
    cached: bool
    #: The build's peak memory (GiB) at the end of each step, as the build prints it.
    step_peaks: dict[str, float] = field(default_factory=dict)
    #: The most the build and its release writers held at once (sampled), MiB.
    tree_peak_mib: float = 0.0
    projects: int = 0
    participations: int | None = None
    quads: int = 0

    @property
    def nquads(self) -> Path:
        """The release's whole dataset, N-Quads."""
        return self.releases / "latest" / "psfkg.nq"

    @property
    def manifest(self) -> Path:
        """The release's manifest (its named graphs and their triples)."""
        return self.releases / "latest" / "manifest.json"


@dataclass(frozen=True)
class Run:
    """A finished psfkg command: its output, seconds, and peak resident memory in MiB."""

    stdout: str
    stderr: str
    seconds: float
    peak_mib: float
    #: The most the process and its children held at once (sampled), MiB.
    tree_peak_mib: float = 0.0


# -- datasets -------------------------------------------------------------------------------


def fingerprint(size: int, seed: int) -> str:
    """A digest of what a release is built from: the build's modules, ontology, shapes, data."""
    modules = subprocess.run(
        [sys.executable, "-c", BUILD_MODULES], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    digest = hashlib.sha256(f"{size}:{seed}".encode())
    inputs = [Path(m) for m in modules]
    inputs += [p for top in INPUTS for p in sorted((PROJECT_ROOT / top).rglob("*")) if p.is_file()]
    for path in inputs:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def psfkg(*args: str | Path) -> Run:
    """Run the psfkg command, timed, with its peak memory.

    The peak is the ``ru_maxrss`` that ``wait4`` reports for this child (and any descendant it
    waited for), as ``/usr/bin/time -v`` does: unlike ``RUSAGE_CHILDREN``, no earlier child counts.
    That is the largest process's; the build writes its indexes in processes of its own, so the
    RSS of the whole process tree is also sampled (every 0.2 s) and its peak kept.

    :raises RuntimeError: when it fails, with its error output.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "psfkg", *map(str, args)], env=ENV, stdout=out, stderr=err
        )
        tree_peak, done = [0.0], threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                tree_peak[0] = max(tree_peak[0], processes.memory(child.pid, 0)["rss_mib"])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        finally:
            done.set()
            sampler.join()
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = (f.read().decode(errors="replace") for f in (out, err))
    if child.returncode != 0:
        raise RuntimeError(f"psfkg {args[0]} failed ({child.returncode}):\n{stderr}")
    return Run(stdout, stderr, seconds, usage.ru_maxrss * MAXRSS_BYTES / 2**20, tree_peak[0])


def prepare(size: int, *, projects: int, seed: int, rebuild: bool) -> Dataset:
    """The release of one dataset: from the cache when its inputs are unchanged, else built."""
    folder, key = BENCH / f"{size}x", fingerprint(size, seed)
    name = "PSF (1x)" if size == 1 else f"synthetic {size}x"
    meta = folder / "build.json"
    built = json.loads(meta.read_text()) if meta.is_file() and not rebuild else {}
    cached = built.get("key") == key and "peak_mib" in built  # older caches lack the peak
    if not cached:
        shutil.rmtree(folder, ignore_errors=True)
        data = PROJECT_ROOT / "data"
        if size > 1:
            data = folder / "data"
            psfkg("synth", "--projects", str(projects * size), "--out", data, "--seed", str(seed))
        print(f"building {name} ...", file=sys.stderr, flush=True)
        run = psfkg("build", "--data", data, "--out", folder / "releases")
        steps = {m["step"]: float(m["seconds"]) for m in STEP.finditer(run.stderr)}
        peaks = {m["step"]: float(m["peak"]) for m in STEP.finditer(run.stderr) if m["peak"]}
        built = {"key": key, "seconds": run.seconds, "peak_mib": run.peak_mib, "steps": steps}
        built["step_peaks"], built["tree_peak_mib"] = peaks, run.tree_peak_mib
        meta.write_text(json.dumps(built))
    dataset = Dataset(
        name, size, folder / "releases", built["seconds"], built["peak_mib"], built["steps"], cached
    )
    dataset.step_peaks = built.get("step_peaks", {})
    dataset.tree_peak_mib = built.get("tree_peak_mib", 0.0)
    dataset.projects, dataset.quads = projects * size, sum(graphs_of(dataset.manifest).values())
    return dataset


def scaling_exponent(sizes: list[int], values: list[float]) -> float | None:
    """``b`` in ``value ~ size**b``: the least-squares slope on log-log (None under two sizes)."""
    logs = [(math.log(x), math.log(y)) for x, y in zip(sizes, values, strict=True) if y > 0]
    if len({x for x, _ in logs}) < 2:
        return None
    xs, ys = zip(*logs, strict=True)
    return statistics.linear_regression(xs, ys).slope


def scaling(datasets: list[Dataset]) -> dict[str, float | None]:
    """The scaling exponents of the build's seconds, its peak memory and each step's seconds."""
    series = {
        "seconds": [d.build_seconds for d in datasets],
        "peak_mib": [d.build_peak_mib for d in datasets],
        **{step: [d.build_steps.get(step, 0.0) for d in datasets] for step in STEPS},
    }
    sizes = [d.size for d in datasets]
    return {key: scaling_exponent(sizes, values) for key, values in series.items()}


# -- timing ---------------------------------------------------------------------------------


def percentile(times: list[float], p: float) -> float:
    """The nearest-rank percentile, in milliseconds (with 30 runs, p99 is the slowest)."""
    ordered = sorted(times)
    return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def sample(once: Callable[[], object], *, warmup: int, runs: int, budget: float) -> list[float]:
    """Seconds per call of ``once`` after ``warmup`` calls: ``runs`` calls, or fewer (at least
    five) when they would take longer than ``budget`` seconds."""
    for _ in range(warmup):
        once()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < runs and (len(times) < 5 or time.perf_counter() - started < budget):
        begin = time.perf_counter()
        once()
        times.append(time.perf_counter() - begin)
    return times


def summary(times: list[float] | None) -> dict[str, Any]:
    """p50 and p99 in milliseconds, and the number of runs."""
    if not times:
        return {"p50_ms": None, "p99_ms": None, "runs": 0}
    return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "runs": len(times)}


class Reply(NamedTuple):
    """An HTTP answer: its headers and body."""

    headers: http.client.HTTPMessage
    body: bytes


class Client:
    """One keep-alive HTTP connection to 127.0.0.1 (it reconnects when the server closes)."""

    def __init__(self, base: str) -> None:
        port = urllib.parse.urlsplit(base).port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(
        self, path: str, accept: str, form: bytes | None = None, *, fresh: bool = True
    ) -> Reply:
        """GET ``path``, or POST it ``form`` (URL-encoded fields); the answer, read. ``fresh``
        sends ``Cache-Control: no-cache``, so that psfkg evaluates rather than answers from the
        answers it keeps for repeated queries.

        :raises http.client.HTTPException: for any status but 200.
        """
        headers = {"Accept": accept} | ({"Content-Type": FORM} if form is not None else {})
        if fresh:
            headers["Cache-Control"] = "no-cache"
        try:
            self.conn.request("GET" if form is None else "POST", path, form, headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        if response.status != 200:
            raise http.client.HTTPException(f"{response.status}: {body[:300]!r}")
        return Reply(response.headers, body)


def timed(
    request: Callable[[], Reply], rows: Callable[[Reply], int], args: argparse.Namespace
) -> dict[str, Any]:
    """The rows of a first answer, then :func:`sample` of ``request``; an error answer (4xx,
    5xx, or none) is reported in ``error``, not raised."""
    try:
        first = rows(request())
        times = sample(request, warmup=args.warmup, runs=args.runs, budget=args.budget)
    except (OSError, http.client.HTTPException) as exc:
        return summary(None) | {"rows": None, "error": str(exc) or type(exc).__name__}
    return summary(times) | {"rows": first, "error": None}


def is_graph_query(query: str) -> bool:
    """Whether a query gives triples (DESCRIBE, CONSTRUCT), as an empty store tells."""
    return not isinstance(ox.Store().query(query), ox.QuerySolutions | ox.QueryBoolean)


def served_rows(reply: Reply) -> int:
    """The rows (or triples) psfkg says it answered."""
    return int(reply.headers.get("X-PSFKG-Rows", -1))


def answer_rows(reply: Reply) -> int:
    """The solutions of SPARQL JSON results, or the triples of N-Triples."""
    if reply.headers.get_content_type() == JSON_RESULTS:
        results = json.loads(reply.body)
        return len(results["results"]["bindings"]) if "results" in results else 1
    return sum(1 for line in reply.body.splitlines() if line.strip() and not line.startswith(b"#"))


def sparql_path(query: str) -> str:
    """The GET path of a query."""
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def served_times(
    base: str, queries: dict[str, str], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Each query's rows and timings on a running psfkg server (JSON results, Turtle graphs)."""
    # Concurrent requests reach every worker, so each forks its query child before timing.
    throughput(base, sparql_path(CHEAP), JSON_RESULTS, threads=2 * WORKERS, seconds=1)
    client = Client(base)
    results: dict[str, dict[str, Any]] = {}
    for name, text in queries.items():
        path, accept = sparql_path(text), TURTLE if is_graph_query(text) else JSON_RESULTS
        results[name] = timed(functools.partial(client.request, path, accept), served_rows, args)
    return results


def in_process(store: ox.Store, query: str) -> bytes:
    """Evaluate with the union default graph and serialise as the server would answer."""
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        return result.serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[no-any-return]
    return ox.serialize(result, format=ox.RdfFormat.TURTLE)  # type: ignore[no-any-return]


def rows_of(store: ox.Store, query: str) -> int:
    """Solutions (or triples) a query gives."""
    return sum(1 for _ in store.query(query, use_default_graph_as_union=True))


def _rdflib_child(
    dataset: rdflib.Dataset, query: str, warmup: int, runs: int, budget: float, out: Connection
) -> None:
    started = time.perf_counter()
    try:
        for n in range(warmup + runs):
            begin = time.perf_counter()
            result = dataset.query(query)
            result.serialize(format="json" if result.type in ("SELECT", "ASK") else "turtle")
            if n >= warmup:
                out.send(time.perf_counter() - begin)
            if time.perf_counter() - started > budget:
                break
    except Exception as exc:  # reported in the table, not raised: rdflib may not support a query
        out.send(f"{type(exc).__name__}: {exc}")
    out.close()


def rdflib_times(
    dataset: rdflib.Dataset, query: str, *, warmup: int, runs: int, budget: float, cap: float
) -> dict[str, Any]:
    """Time rdflib's evaluator in a forked child, which is killed when a run passes ``cap``."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_rdflib_child, args=(dataset, query, warmup, runs, budget, send))
    child.start()
    send.close()
    times: list[float] = []
    note = None
    while receive.poll(cap):
        try:
            message = receive.recv()
        except EOFError:  # the child is done
            break
        if isinstance(message, str):
            note = message
        else:
            times.append(message)
    else:
        child.kill()
        note = f"> {cap:g} s"
    child.join()
    receive.close()
    return summary(times) | {"note": note}


# -- throughput -----------------------------------------------------------------------------


def throughput(
    base: str, path: str, accept: str, *, threads: int, seconds: float, fresh: bool = True
) -> dict[str, Any]:
    """Requests per second from ``threads`` keep-alive clients for ``seconds`` seconds."""
    counts, errors = [0] * threads, [0] * threads
    deadline = time.perf_counter() + seconds

    def load(n: int) -> None:
        client = Client(base)
        while time.perf_counter() < deadline:
            try:
                client.request(path, accept, fresh=fresh)
                counts[n] += 1
            except (OSError, http.client.HTTPException):
                errors[n] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=load, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {"requests_per_s": sum(counts) / elapsed, "errors": sum(errors), "seconds": elapsed}


def serve_hello(port: int, workers: int) -> None:
    """Serve a hello-world Flask app as psfkg is served: its front before its gunicorn workers
    (in a subprocess)."""
    app = Flask("hello")
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    settings = replace(Settings.from_env(ENV), host="127.0.0.1", port=port, workers=workers)
    sys.exit(serve(lambda: app, settings))


#: What the no-work server answers to any request.
NOTHING = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
    b'Content-Length: 29\r\n\r\n{"head": {}, "boolean": true}'
)


def serve_nothing(port: int) -> None:
    """Answer every request with :data:`NOTHING`, reading no more than its head: no parsing, no
    app, one keep-alive connection at a time. What an HTTP round trip costs with no server work."""
    with socket.create_server(("127.0.0.1", port)) as listener:
        while True:
            connection, _ = listener.accept()
            with connection:
                pending = b""
                while chunk := connection.recv(1 << 16):
                    pending += chunk
                    while b"\r\n\r\n" in pending:
                        pending = pending.split(b"\r\n\r\n", 1)[1]
                        connection.sendall(NOTHING)


@contextmanager
def helper_server(flag: str, workers: int) -> Iterator[str]:
    """Run this script with ``flag PORT`` (a hello-world or no-work server) until the block
    ends; yield its base URL once it answers."""
    port = free_port()
    args = [sys.executable, __file__, flag, str(port), "--workers", str(workers)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{flag} {port} exited {process.returncode}")
            try:
                Client(base).request("/", "text/plain")
                break
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{flag} {port} did not answer within 30 s")
        yield base
    finally:
        stop(process)


def http_floor() -> dict[str, Any]:
    """One client's latency against :func:`serve_nothing`: the least any HTTP server could take."""
    with helper_server("--serve-nothing", 1) as base:
        client = Client(base)
        return summary(
            sample(lambda: client.request("/", "text/plain"), warmup=10, runs=1000, budget=10)
        )


# -- the run --------------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """One p50 over another, or None when either is missing."""
    return None if numerator is None or not denominator else numerator / denominator


def measure(
    dataset: Dataset, queries: dict[str, str], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """HTTP, in-process and rdflib latencies of every query on one dataset."""
    big = dataset.size >= 100
    runs, budget = args.runs, args.budget
    store = ox.Store()
    store.bulk_load(path=str(dataset.nquads), format=ox.RdfFormat.N_QUADS)
    counts = next(iter(store.query(COUNTS, use_default_graph_as_union=True)))
    dataset.projects, dataset.participations = (
        int(counts[v].value) for v in ("projects", "participations")
    )
    results: dict[str, dict[str, Any]] = {}
    for name, text in queries.items():
        times = sample(
            lambda text=text: in_process(store, text), warmup=args.warmup, runs=runs, budget=budget
        )
        results[name] = {"query": name, "rows": rows_of(store, text), "in_process": summary(times)}
    print(f"{dataset.name}: in-process done; starting the server", file=sys.stderr, flush=True)
    with live_server(releases=dataset.releases, workers=WORKERS, env=ENV, startup=600) as base:
        for name, served in served_times(base, queries, args).items():
            results[name]["http"] = served
    print(f"{dataset.name}: loading rdflib", file=sys.stderr, flush=True)
    graph = rdflib.Dataset(default_union=True)
    started = time.perf_counter()
    graph.parse(dataset.nquads, format="nquads")
    load_seconds = time.perf_counter() - started
    for name, text in queries.items():
        warmup, rdflib_runs = (0, 1) if big else (1, args.rdflib_runs)
        slow = rdflib_times(
            graph, text, warmup=warmup, runs=rdflib_runs, budget=budget, cap=args.rdflib_cap
        )
        results[name] |= {"rdflib": slow, "rdflib_load_s": load_seconds}
    del graph
    for result in results.values():
        result["ratio"] = ratio(result["http"]["p50_ms"], result["in_process"]["p50_ms"])
        result["meets_target"] = result["ratio"] is not None and result["ratio"] <= LATENCY_TARGET
        result["dataset"] = dataset.name
    return list(results.values())


def measure_virtuoso(
    dataset: Dataset, queries: dict[str, str], args: argparse.Namespace, *, buffers: int = 20000
) -> list[dict[str, Any]]:
    """The query mix through psfkg's server on a real Virtuoso holding the release, and on
    Virtuoso's own endpoint, asked for the same dataset and formats as psfkg's RemoteStore does:
    the release's graphs as ``default-graph-uri`` and ``named-graph-uri``, SPARQL JSON results
    or N-Triples."""
    graphs = sorted(graphs_of(dataset.manifest))
    fields = [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    results: dict[str, dict[str, Any]] = {n: {"dataset": dataset.name, "query": n} for n in queries}
    with (
        tempfile.TemporaryDirectory(prefix="psfkg-bench-virtuoso-") as folder,
        virtuoso(Path(folder), startup=120, buffers=buffers) as store,
    ):
        print(f"{dataset.name}: loading Virtuoso", file=sys.stderr, flush=True)
        started = time.perf_counter()
        bulk_publish(
            Published.open(dataset.nquads.parent.resolve()),
            isql=store.isql,
            load_dir=str(store.load_dir),
            user=store.user,
            password=store.password,
            progress=Progress(None),
        )
        load_seconds = time.perf_counter() - started
        client, path = Client(store.sparql), urllib.parse.urlsplit(store.sparql).path
        for name, text in queries.items():
            form = urllib.parse.urlencode([("query", text), *fields]).encode()
            accept = N_TRIPLES if is_graph_query(text) else JSON_RESULTS
            ask = functools.partial(client.request, path, accept, form)
            results[name]["virtuoso"] = timed(ask, answer_rows, args)
        print(f"{dataset.name}: starting the server on Virtuoso", file=sys.stderr, flush=True)
        env = ENV | {"PSFKG_STORE": store.sparql}
        with live_server(releases=dataset.releases, workers=WORKERS, env=env, startup=600) as base:
            for name, served in served_times(base, queries, args).items():
                results[name]["psfkg"] = served
    for result in results.values():
        result["load_s"] = load_seconds
        result["ratio"] = ratio(result["psfkg"]["p50_ms"], result["virtuoso"]["p50_ms"])
        result["meets_target"] = result["ratio"] is not None and result["ratio"] <= VIRTUOSO_TARGET
    return list(results.values())


#: What a portal harvests first from a worker that has answered nothing but its health check.
METADATA = {"/catalog": "text/turtle", "/.well-known/void": "text/turtle"}


def cold_metadata(dataset: Dataset) -> dict[str, Any]:
    """Milliseconds of each first GET of :data:`METADATA` from a fresh one-worker server, with
    ``/-/health`` (which reads nothing of the release) timed on the same warm connection as the
    baseline."""
    with live_server(releases=dataset.releases, workers=1) as base:
        client = Client(base)
        found: dict[str, Any] = {"dataset": dataset.name}
        for path, accept in {"/-/health": "application/json", **METADATA}.items():
            started = time.perf_counter()
            client.request(path, accept, fresh=False)
            found[path] = (time.perf_counter() - started) * 1000
        return found


def metadata_table(rows: list[dict[str, Any]]) -> list[str]:
    """The catalogue and VoID from a cold worker, per dataset."""
    out = [
        "",
        "## Catalogue and VoID from a cold worker (ms)",
        "",
        "The first request of each to a fresh one-worker `psfkg serve`; both are read from the "
        "release's own small files (`catalog.nt`, `void.nt`), which the build computed.",
        "",
        "| dataset | `/-/health` | `/catalog` | `/.well-known/void` |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {r['dataset']} | {ms(r['/-/health'])} | {ms(r['/catalog'])} | "
        f"{ms(r['/.well-known/void'])} |"
        for r in rows
    ]
    return out


def one_client(base: str, path: str, accept: str, run: dict[str, Any], fresh: bool) -> Any:
    """One client's latency, after a warm-up of every worker by many."""
    throughput(base, path, accept, threads=run["threads"], seconds=2, fresh=fresh)
    client = Client(base)
    alone = sample(
        lambda: client.request(path, accept, fresh=fresh), warmup=10, runs=300, budget=10
    )
    return summary(alone)


def compare_throughput(dataset: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Requests per second for a cheap query against psfkg (evaluated each time, and answered
    from the kept answers) and for hello world, served alike.

    The three take turns, ``args.rounds`` times, so that a drift of the machine's speed touches
    all three alike; each figure is the median of its rounds, each ratio the median of the
    rounds' ratios.
    """
    run = {"threads": args.threads, "seconds": args.duration}
    with (
        live_server(releases=dataset.releases, workers=WORKERS, env=ENV) as psfkg_base,
        helper_server("--serve-hello", WORKERS) as hello_base,
    ):
        ways = {
            "psfkg": (psfkg_base, sparql_path(CHEAP), JSON_RESULTS, True),
            "psfkg_kept_answer": (psfkg_base, sparql_path(CHEAP), JSON_RESULTS, False),
            "flask_hello_world": (hello_base, "/", "text/plain", True),
        }
        alone = {name: one_client(b, p, a, run, fresh) for name, (b, p, a, fresh) in ways.items()}
        rounds = [
            {
                name: throughput(b, p, a, **run, fresh=fresh)
                for name, (b, p, a, fresh) in ways.items()
            }
            for _ in range(args.rounds)
        ]
    measured: dict[str, Any] = {
        name: {
            "requests_per_s": statistics.median(r[name]["requests_per_s"] for r in rounds),
            "rounds": [r[name]["requests_per_s"] for r in rounds],
            "errors": sum(r[name]["errors"] for r in rounds),
            "one_client": alone[name],
        }
        for name in ways
    }
    ratios = {
        way: [r[way]["requests_per_s"] / r["flask_hello_world"]["requests_per_s"] for r in rounds]
        for way in ("psfkg", "psfkg_kept_answer")
    }
    ratio = statistics.median(ratios["psfkg"])
    return {
        "dataset": dataset.name,
        "query": CHEAP,
        "workers": WORKERS,
        "worker_class": options(Settings.from_env(ENV), "")["worker_class"],
        **run,
        "rounds": args.rounds,
        **measured,
        "ratio": ratio,
        "ratios": ratios["psfkg"],
        "ratio_kept_answer": statistics.median(ratios["psfkg_kept_answer"]),
        "meets_target": ratio >= THROUGHPUT_TARGET,
    }


# -- reporting ------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    """Milliseconds for a table cell."""
    return "–" if value is None else f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def times(measured: dict[str, Any]) -> str:
    """The p50 and p99 cells of one way of asking, or its error across both."""
    if measured.get("error"):
        error = " ".join(measured["error"].split()).replace("|", "\\|")
        return f"error: {error[:80]} | –"
    return f"{ms(measured['p50_ms'])} | {ms(measured['p99_ms'])}"


def fixed(value: float | None, digits: int = 2) -> str:
    """A ratio or an exponent for a table cell."""
    return "–" if value is None else f"{value:.{digits}f}"


def queried(report: dict[str, Any]) -> list[str]:
    """The datasets whose queries were timed, in order."""
    return list(dict.fromkeys(r["dataset"] for r in report["latency"]))


def machine_line(report: dict[str, Any]) -> str:
    """The machine and versions, in a sentence."""
    m = report["machine"]
    return (
        f"{report['date']}; {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, "
        f"pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}."
    )


def build_table(report: dict[str, Any]) -> list[str]:
    """The builds: size, time, peak memory, each step, and how they scale."""
    b = report["scaling"]["exponents"]
    sizes = ", ".join(f"{s}x" for s in report["scaling"]["sizes"])
    out = [
        "## Builds",
        "",
        "`psfkg build` in a child process: wall-clock seconds (Python's start-up included), peak "
        "resident memory (the child's `ru_maxrss`, its largest process), the most its processes "
        "held at once (sampled every 0.2 s), and each step's seconds as the build prints them, "
        "with the peak memory so far at the step's end (GiB). "
        f"Last row: b in time (or memory) ~ size^b, least squares on log-log over {sizes}.",
        "",
        "| dataset | projects | participations | quads | seconds | peak MiB | all processes MiB | "
        + " | ".join(STEPS)
        + " |",
        "|---|" + "---:|" * (6 + len(STEPS)),
    ]
    for d in report["datasets"]:
        cached = " (cached)" if d["cached"] else ""
        took = " | ".join(
            f"{d['build_steps'].get(step, 0):.2f}"
            + (f" · {d['step_peaks'][step]:.2f}" if step in d.get("step_peaks", {}) else "")
            for step in STEPS
        )
        participations = "–" if d["participations"] is None else f"{d['participations']:,}"
        out.append(
            f"| {d['name']} | {d['projects']:,} | {participations} | {d['quads']:,} "
            f"| {d['build_seconds']:.1f}{cached} | {d['build_peak_mib']:,.0f} "
            f"| {d.get('tree_peak_mib') or 0:,.0f} | {took} |"
        )
    out += [
        f"| b (size^b) | | | | {fixed(b['seconds'])} | {fixed(b['peak_mib'])} | | "
        + " | ".join(fixed(b[step]) for step in STEPS)
        + " |",
        "",
        "Scaling: needs two sizes or more."
        if b["seconds"] is None
        else f"Scaling over {sizes}: build time ~ size^{b['seconds']:.2f}, "
        f"peak memory ~ size^{b['peak_mib']:.2f}.",
    ]
    return out


def latency_tables(report: dict[str, Any], cap: float) -> list[str]:
    """Per dataset: HTTP, in-process and rdflib latencies of the query mix."""
    out: list[str] = []
    for d in queried(report):
        rows = [r for r in report["latency"] if r["dataset"] == d]
        load = rows[0]["rdflib_load_s"] if rows else 0
        out += [
            "",
            f"## Latency (ms), {d}",
            "",
            f"HTTP: the server with {WORKERS} workers, JSON results (Turtle for DESCRIBE). "
            f"In-process: pyoxigraph, same store and serialisation. rdflib: its evaluator "
            f"(load {load:.1f} s not counted; a run over {cap:g} s is cut).",
            "",
            "| query | rows | HTTP p50 | HTTP p99 | in-process p50 | in-process p99 "
            f"| rdflib p50 (runs) | HTTP - in-process | HTTP / in-process | ≤ {LATENCY_TARGET}x |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
        ]
        for r in rows:
            http, floor, slow = r["http"], r["in_process"], r["rdflib"]
            checked = "" if http["rows"] == r["rows"] else f" (HTTP {http['rows']})"
            rdflib_cell = slow["note"] or f"{ms(slow['p50_ms'])} ({slow['runs']})"
            if slow["note"] and slow["runs"]:
                rdflib_cell = f"{ms(slow['p50_ms'])} ({slow['runs']}), then {slow['note']}"
            gap = None if http["p50_ms"] is None else http["p50_ms"] - floor["p50_ms"]
            out.append(
                f"| {r['query']} | {r['rows']:,}{checked} | {times(http)} "
                f"| {ms(floor['p50_ms'])} | {ms(floor['p99_ms'])} | {rdflib_cell} | {ms(gap)} "
                f"| {fixed(r['ratio'], 1)}x | {'yes' if r['meets_target'] else 'no'} |"
            )
    return out


def latency_verdict(report: dict[str, Any]) -> list[str]:
    """How many queries meet the latency target at each size, and how many could.

    A query's time over HTTP is at least its in-process time plus a fixed cost, so it can be
    within ``LATENCY_TARGET`` of its in-process time only when that time is at least
    cost / (target - 1). Three fixed costs, one client and p50 each: a server that does no work at
    all (:func:`serve_nothing`: what any HTTP server pays, with this client), Flask's hello world
    served as psfkg is (what any Flask endpoint pays), and psfkg answering ``ASK {}``, evaluated
    each time (what a query costs psfkg besides its evaluation).
    """
    t = report["throughput"]
    floors = {
        "any HTTP server": report["http_floor"]["p50_ms"],
        "any Flask endpoint": t["flask_hello_world"]["one_client"]["p50_ms"],
        "psfkg": t["psfkg"]["one_client"]["p50_ms"],
    }
    reach = {name: cost / (LATENCY_TARGET - 1) for name, cost in floors.items()}
    out = [
        "",
        f"Latency target (HTTP ≤ {LATENCY_TARGET}x in-process, p50). One client's request costs "
        f"at least {ms(floors['any HTTP server'])} ms when the server does no work at all (a "
        f"socket that sends a fixed answer), {ms(floors['any Flask endpoint'])} ms for Flask's "
        f"hello world served as psfkg is, and psfkg answers `{t['query']}` in "
        f"{ms(floors['psfkg'])} ms (evaluated each time). So the target is within reach "
        + ", ".join(f"of {n} only for queries of {ms(reach[n])} ms or more" for n in floors)
        + " in-process.",
        "",
    ]
    for d in queried(report):
        rows = [r for r in report["latency"] if r["dataset"] == d]
        counts = []
        for name in floors:
            within = [r for r in rows if r["in_process"]["p50_ms"] >= reach[name]]
            met = sum(r["meets_target"] for r in within)
            counts.append(f"{met} of the {len(within)} within reach of {name}")
        out.append(
            f"- {d}: met for {sum(r['meets_target'] for r in rows)} of {len(rows)} queries; "
            + "; ".join(counts)
            + "."
        )
    return out


def virtuoso_tables(report: dict[str, Any]) -> list[str]:
    """Per dataset: psfkg on its store, psfkg on Virtuoso, and Virtuoso's own endpoint."""
    rows = report["virtuoso"]
    if rows is None:
        return ["", "## Virtuoso", "", "Not measured: `virtuoso-t` is not installed."]
    embedded = {(r["dataset"], r["query"]): r for r in report["latency"]}
    out: list[str] = []
    for d in queried(report):
        mine = [r for r in rows if r["dataset"] == d]
        out += [
            "",
            f"## psfkg and Virtuoso (ms), {d}",
            "",
            "(a) psfkg on its embedded store over HTTP, as above; (b) psfkg's server on a real "
            "Virtuoso (`PSFKG_STORE`); (c) Virtuoso's own `/sparql`, a form POST with the "
            "release's graphs as `default-graph-uri` and `named-graph-uri` and the formats psfkg "
            f"asks for (SPARQL JSON; N-Triples for DESCRIBE). Loaded by `psfkg publish --bulk` in "
            f"{mine[0]['load_s']:.1f} s.",
            "",
            "| query | rows | (a) p50 | (a) p99 | (b) p50 | (b) p99 | (c) p50 | (c) p99 "
            f"| (b) / (c) | ≤ {VIRTUOSO_TARGET:g}x |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
        ]
        for r in mine:
            a, b, c = embedded[(d, r["query"])], r["psfkg"], r["virtuoso"]
            differ = [
                f"({way}) {m['rows']:,}"
                for way, m in (("b", b), ("c", c))
                if m["rows"] is not None and m["rows"] != a["rows"]
            ]
            checked = f" ({', '.join(differ)})" if differ else ""
            out.append(
                f"| {r['query']} | {a['rows']:,}{checked} | {times(a['http'])} | {times(b)} "
                f"| {times(c)} | {fixed(r['ratio'], 1)}x "
                f"| {'met' if r['meets_target'] else 'not met'} |"
            )
    at = {d["name"] for d in report["datasets"] if d["size"] == VIRTUOSO_GOAL_SIZE}
    goal = [r for r in rows if r["dataset"] in at]
    verdict = (
        f"{'met' if all(r['meets_target'] for r in goal) else 'not met'} "
        f"({sum(r['meets_target'] for r in goal)} of {len(goal)} queries)"
        if goal
        else f"not measured (no {VIRTUOSO_GOAL_SIZE}x dataset)"
    )
    return [
        *out,
        "",
        f"Goal: at {VIRTUOSO_GOAL_SIZE}x, psfkg's endpoint within {VIRTUOSO_TARGET:g}x of "
        f"Virtuoso's own on every query (p50, (b) / (c)): {verdict}.",
    ]


def throughput_table(t: dict[str, Any]) -> list[str]:
    """Requests per second for a cheap query, psfkg against hello world."""
    return [
        "",
        f"## Throughput ({t['dataset']}; {t['threads']} keep-alive client threads, "
        f"{t['workers']} {t['worker_class']} workers; {t['rounds']} rounds of {t['seconds']:g} s, "
        "the three taking turns)",
        "",
        "| server | requests/s (median) | rounds | errors | one client: p50 (ms) | p99 (ms) |",
        "|---|---:|---|---:|---:|---:|",
        *(
            f"| {label} | {r['requests_per_s']:,.0f} "
            f"| {', '.join(f'{x:,.0f}' for x in r['rounds'])} | {r['errors']} "
            f"| {ms(r['one_client']['p50_ms'])} | {ms(r['one_client']['p99_ms'])} |"
            for label, r in (
                (f"psfkg, `{t['query']}`, evaluated each time (`no-cache`)", t["psfkg"]),
                (f"psfkg, `{t['query']}`, the kept answer", t["psfkg_kept_answer"]),
                ("Flask hello world", t["flask_hello_world"]),
            )
        ),
        "",
        f"psfkg / hello world (median of the rounds): {t['ratio']:.0%} evaluated each time, under "
        f"the query timeout (target ≥ {THROUGHPUT_TARGET:.0%}: "
        f"{'met' if t['meets_target'] else 'not met'}; rounds: "
        f"{', '.join(f'{x:.0%}' for x in t['ratios'])}); "
        f"{t['ratio_kept_answer']:.0%} answered from the kept answers.",
    ]


def endpoint_targets(report: dict[str, Any]) -> list[str]:
    """The public endpoint's targets, each measured in this run."""
    t = report["throughput"]
    ask = t["psfkg"]["one_client"]["p50_ms"]
    hello = t["flask_hello_world"]["one_client"]["p50_ms"]
    cost = ratio(ask, hello)
    rows = [
        (
            f"`{t['query']}` evaluated each time / hello world, served alike (p50, one client)",
            f"≤ {ASK_COST_TARGET:g}x",
            f"{ms(ask)} / {ms(hello)} ms = {fixed(cost)}x",
            cost is not None and cost <= ASK_COST_TARGET,
        )
    ]
    sizes = {d["name"] for d in report["datasets"] if d["size"] in OVERHEAD_SIZES}
    for d in [d for d in queried(report) if d in sizes]:
        over = {
            r["query"]: r["http"]["p50_ms"] - r["in_process"]["p50_ms"]
            for r in report["latency"]
            if r["dataset"] == d
        }
        worst = max(over, key=over.__getitem__)
        rows.append(
            (
                f"{d}: HTTP p50 - in-process p50, each query of the mix",
                f"≤ {ms(ask)} + {OVERHEAD_MARGIN_MS:g} ms",
                f"{ms(min(over.values()))}–{ms(over[worst])} ms (most: {worst})",
                over[worst] <= ask + OVERHEAD_MARGIN_MS,
            )
        )
    rows.append(
        (
            f"`{t['query']}` requests/s / hello world's, every protection on",
            f"≥ {THROUGHPUT_TARGET:.0%}",
            f"{t['ratio']:.0%}",
            t["meets_target"],
        )
    )
    embedded = {(r["dataset"], r["query"]): r for r in report["latency"]}
    first = next((d["name"] for d in report["datasets"] if d["size"] == 1), None)
    light = [
        (
            r["query"],
            ratio(embedded[(first, r["query"])]["http"]["p50_ms"], r["virtuoso"]["p50_ms"]),
        )
        for r in report["virtuoso"] or []
        if r["dataset"] == first and r["query"] not in ENGINE_BOUND
    ]
    rows.append(
        (
            f"{first or '1x'}: psfkg (embedded) / Virtuoso's own `/sparql`, each light query "
            f"(p50; {', '.join(ENGINE_BOUND)} excepted)",
            "< 1x",
            ", ".join(f"{q} {fixed(x)}x" for q, x in light) or "not measured",
            bool(light) and all(x is not None and x < 1 for _, x in light),
        )
    )
    return [
        "",
        "## The public endpoint's targets",
        "",
        "| target | bound | measured | met |",
        "|---|---|---|---|",
        *(
            f"| {what} | {bound} | {got} | {'met' if met else 'not met'} |"
            for what, bound, got, met in rows
        ),
    ]


def tables(report: dict[str, Any], cap: float) -> str:
    """The report as Markdown tables, one per section."""
    return "\n".join(
        [
            *build_table(report),
            *latency_tables(report, cap),
            *latency_verdict(report),
            *virtuoso_tables(report),
            *throughput_table(report["throughput"]),
            *metadata_table(report["metadata"]),
            *endpoint_targets(report),
            *search_latency.table(report["search"]),
            *releases_memory.table(report["releases_memory"]),
        ]
    )


def main() -> None:
    """Parse the arguments and run the benchmark (or, with --serve-hello, the hello server)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100", help="Dataset sizes, x the PSF release.")
    parser.add_argument(
        "--with-1000x", action="store_true", help=f"Also build {HUGE}x (build time and memory)."
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic data.")
    parser.add_argument(
        "--out", type=Path, default=BENCH / "bench.json", help="JSON report (and .md beside it)."
    )
    parser.add_argument("--runs", type=int, default=30, help="Timed runs per query and way.")
    parser.add_argument("--warmup", type=int, default=3, help="Untimed runs before those.")
    parser.add_argument("--budget", type=float, default=10, help="Seconds per query and way.")
    parser.add_argument("--rdflib-runs", type=int, default=5, help="rdflib runs (1 at 100x).")
    parser.add_argument("--rdflib-cap", type=float, default=60, help="rdflib seconds per run.")
    parser.add_argument("--threads", type=int, default=8, help="Throughput client threads.")
    parser.add_argument(
        "--duration", type=float, default=5, help="Throughput seconds per server and round."
    )
    parser.add_argument("--rounds", type=int, default=5, help="Throughput rounds.")
    parser.add_argument("--rebuild", action="store_true", help="Ignore the cached releases.")
    parser.add_argument(
        "--quick-memory",
        action="store_true",
        help=f"Memory with {releases_memory.QUICK} releases on disk, not "
        f"{releases_memory.RELEASES}.",
    )
    parser.add_argument("--serve-hello", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-nothing", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=WORKERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hello:
        serve_hello(args.serve_hello, args.workers)
        return
    if args.serve_nothing:
        serve_nothing(args.serve_nothing)
        return
    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERIES.glob("*.rq"))}
    psf_projects = len(records.load(PROJECT_ROOT / "data").projects)
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    built = sorted({*sizes, HUGE} if args.with_1000x else sizes)
    builds = [
        prepare(s, projects=psf_projects, seed=args.seed, rebuild=args.rebuild) for s in built
    ]
    datasets = [d for d in builds if d.size in sizes]
    latency = [row for d in datasets for row in measure(d, queries, args)]
    stores = None
    if VIRTUOSO_BINARY is not None:
        stores = [row for d in datasets for row in measure_virtuoso(d, queries, args)]
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "pyoxigraph": ox.__version__,
            "rdflib": rdflib.__version__,
        },
        "settings": {k: v for k, v in vars(args).items() if k not in HIDDEN_ARGUMENTS},
        "datasets": [asdict(d) | {"releases": str(d.releases)} for d in builds],
        "scaling": {"sizes": built, "exponents": scaling(builds)},
        "latency": latency,
        "virtuoso": stores,
        "throughput": compare_throughput(datasets[0], args),
        "http_floor": http_floor(),
        "metadata": [cold_metadata(d) for d in datasets],
        "search": {
            d.name: search_latency.measure(d.releases / "latest" / "search.sqlite")
            for d in builds
            if d.size in (1, max(sizes), HUGE)
        },
        "releases_memory": releases_memory.measure(
            10 if 10 in sizes else min(sizes),
            psf_projects,
            base=BASE_IRI,
            count=releases_memory.QUICK if args.quick_memory else releases_memory.RELEASES,
        ),
    }
    markdown = args.out.with_suffix(".md")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    document = tables(report, args.rdflib_cap)
    markdown.write_text(f"# psfkg benchmark\n\n{machine_line(report)}\n\n{document}\n")
    print(document)
    print(f"\nJSON: {args.out}\nMarkdown: {markdown}")


if __name__ == "__main__":
    main()
