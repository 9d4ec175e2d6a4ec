"""The attacks of ``make loadtest`` (``--attacks``): what each attacker sends, and what it got.

Each attacker is a thread with a source address of its own in 127/8 (``127.0.<10 + attack>.<n>``,
so that no two attacks share a rate-limit window); each returns by the end of its phase, or, a
slow reader, once it has its file. An attacker's outcome is the status it got (``503 deadline``
and ``503 memory`` told apart by the answer's text), or ``dropped`` (the server closed the
connection without an answer), ``held`` (still waiting when its phase ended, for longer than the
server's request deadline: neither answered nor dropped), ``unfinished`` (still waiting when its
phase ended, but within that deadline: the phase, not the server, cut it short), or, for a slow
reader, ``whole`` or ``cut`` (the bytes it got against the answer's
Content-Length).
"""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from benchmarks.benchmark import JSON_RESULTS
from tests.live import LONG_RUNAWAY, RUNAWAY

from psfkg.config import Settings
from psfkg.query.runner import INLINE_CHARS

SPARQL_QUERY = "application/sparql-query"
#: What the memory runaways accept: results, or triples for the CONSTRUCT.
ANY_ANSWER = f"{JSON_RESULTS}, application/n-triples;q=0.9"
#: Ten characters doubled by BIND(CONCAT(?x, ?x)) steps, needing no data.
SEED = '"0123456789"'
#: Doublings of SEED to 655,360 characters: one such string on every row.
BIG = 16


def doubled(steps: int) -> str:
    """BINDs that double SEED ``steps`` times, into ``?x<steps>``."""
    return f"BIND({SEED} AS ?x0) " + " ".join(
        f"BIND(CONCAT(?x{n}, ?x{n}) AS ?x{n + 1})" for n in range(steps)
    )


VALUES = " ".join(f"VALUES ?{v} {{ {' '.join(str(n) for n in range(40))} }}" for v in "abcdef")
#: The memory runaways, cycled through by each attacker.
MEMORY_QUERIES = {
    "sorted cube": "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
    "ORDER BY DESC(STR(?c)) ?f ?i LIMIT 10",
    "29 doublings": f"SELECT (STRLEN(?x29) AS ?n) {{ {doubled(29)} }}",
    "big string per row": f"SELECT ?s ?x{BIG} {{ {doubled(BIG)} ?s ?p ?o }}",
    "big literals constructed": f"CONSTRUCT {{ ?s <urn:psfkg:big> ?big }} WHERE {{ "
    f"{doubled(BIG)} ?s ?p ?o BIND(CONCAT(STR(?o), ?x{BIG}) AS ?big) }}",
    "sorted VALUES cross join": "#" + "x" * INLINE_CHARS + f"\nSELECT * {{ {VALUES} }} "
    "ORDER BY DESC(?f) ?e ?d ?c ?b ?a",
}
#: Seconds between a slow client's header lines, or body bytes.
TRICKLE = 5.0
#: The server's deadline for a whole request (its default, which the load test keeps).
REQUEST_DEADLINE = Settings.from_env({}).request_deadline
#: Bytes a second of the two slow readers, and the dump they read.
SLOW_RATES = {"1mib": (1 << 20, "1 MiB/s"), "200kb": (200_000, "200 kB/s")}
DUMP = "/dumps/psfkg.nq"
#: A slow reader's receive buffer: small, so that the kernel cannot take the file off the server.
READ_BUFFER = 64 << 10
#: Connections of the flood, all from one address: more than the researchers, so that it passes
#: the rate limit within an attack's seconds even when the server is busy with them.
FLOOD = 64
FORGED = "evil.example"
#: Requests a second of each attacker forging its Host or X-Forwarded-* headers.
FORGERY_RATE = 5.0


class Outcome(NamedTuple):
    """What one attacker's request (or connection) got; bytes for a slow reader."""

    label: str
    seconds: float
    received: int | None = None
    length: int | None = None


class Aim(NamedTuple):
    """The server attacked, and when the attack ends (monotonic) and a request gives up."""

    port: int
    until: float
    wait: float


Attacker = Callable[[Aim, str, int, list[Outcome]], None]
Send = Callable[[http.client.HTTPConnection], tuple[str, bytes]]


def connect(aim: Aim, source: str, timeout: float) -> http.client.HTTPConnection:
    """An HTTP connection to the server from ``source``."""
    return http.client.HTTPConnection(
        "127.0.0.1", aim.port, timeout=timeout, source_address=(source, 0)
    )


def label(status: int, body: bytes, headers: http.client.HTTPMessage) -> str:
    """An answer's outcome: its status, with why for a 503, and a missing Retry-After."""
    if status == 503:
        return "503 memory" if b"memory" in body else "503 deadline"
    if status == 429 and headers.get("Retry-After") is None:
        return "429 without Retry-After"
    return str(status)


def ask(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[str, bytes]:
    """Send one request; its outcome and body (``dropped`` or ``held`` when none came)."""
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        data = response.read()
    except TimeoutError:
        conn.close()
        return "held", b""
    except (OSError, http.client.HTTPException):
        conn.close()
        return "dropped", b""
    return label(response.status, data, response.headers), data


def again(aim: Aim, source: str, out: list[Outcome], send: Send) -> None:
    """Call ``send(conn)`` on a keep-alive connection until the attack ends."""
    conn = connect(aim, source, aim.wait)
    while time.monotonic() < aim.until:
        begin = time.perf_counter()
        outcome, _ = send(conn)
        out.append(Outcome(outcome, time.perf_counter() - begin))


def memory_runaway(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
    """POST the memory runaways in turn, from the ``n``-th."""
    queries = itertools.islice(itertools.cycle(MEMORY_QUERIES.values()), n, None)
    headers = {"Content-Type": SPARQL_QUERY, "Accept": ANY_ANSWER, "Cache-Control": "no-cache"}
    again(aim, source, out, lambda c: ask(c, "POST", "/sparql", next(queries).encode(), headers))


def cpu_runaway(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
    """POST the runaway query again and again: evaluated in a worker, or, padded, in its child."""
    query = (RUNAWAY if n % 2 else LONG_RUNAWAY).encode()
    headers = {"Content-Type": SPARQL_QUERY, "Accept": JSON_RESULTS, "Cache-Control": "no-cache"}
    again(aim, source, out, lambda c: ask(c, "POST", "/sparql", query, headers))


def trickle(aim: Aim, source: str, head: bytes, step: bytes, out: list[Outcome]) -> None:
    """Connect, send ``head``, then ``step`` every TRICKLE seconds, until the server answers or
    drops the connection (then again), or the attack ends (``held``)."""
    while time.monotonic() < aim.until:
        begin = time.perf_counter()
        outcome = "held"
        with socket.socket() as sock:
            sock.bind((source, 0))
            sock.settimeout(TRICKLE)
            try:
                sock.connect(("127.0.0.1", aim.port))
                sock.sendall(head)
                while time.monotonic() < aim.until:
                    try:
                        first = sock.recv(64)
                    except TimeoutError:
                        sock.sendall(step)
                        continue
                    parts = first.split(b" ", 2)
                    outcome = parts[1].decode() if first.startswith(b"HTTP/") else "dropped"
                    break
            except OSError:
                outcome = "dropped"
        seconds = time.perf_counter() - begin
        if outcome == "held" and seconds <= REQUEST_DEADLINE + TRICKLE:
            outcome = "unfinished"
        out.append(Outcome(outcome, seconds))


def slow_headers(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
    """Slowloris: a request whose headers never end, one more line every TRICKLE seconds."""
    trickle(aim, source, b"GET /-/health HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Wait: 1\r\n", out)


def slow_body(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
    """A POST whose body comes one byte every TRICKLE seconds."""
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000\r\n\r\nASK"
    )
    trickle(aim, source, head, b" ", out)


def slow_reader(rate: int) -> Attacker:
    """An attacker that downloads DUMP at ``rate`` bytes a second, again until the attack
    ends; each download it finishes, even past the end."""

    def read(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
        while time.monotonic() < aim.until:
            begin = time.perf_counter()
            conn = connect(aim, source, aim.wait)
            received, length, outcome = 0, None, "dropped"
            try:
                # The buffer is set before the connection, so the window it opens is that small.
                conn.sock = socket.socket()
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, READ_BUFFER)
                conn.sock.settimeout(aim.wait)
                conn.sock.bind((source, 0))
                conn.sock.connect(("127.0.0.1", aim.port))
                conn.request("GET", DUMP, headers={"Accept-Encoding": "identity"})
                response = conn.getresponse()
                length = int(response.headers.get("Content-Length", -1))
                outcome = str(response.status)
                while chunk := response.read(rate // 10):
                    received += len(chunk)
                    time.sleep(max(0.0, begin + received / rate - time.perf_counter()))
                if response.status == 200:
                    outcome = "whole" if received == length else "cut"
            except (OSError, http.client.HTTPException):
                outcome = "dropped" if length is None else "cut"
            finally:
                conn.close()
            out.append(Outcome(outcome, time.perf_counter() - begin, received, length))

    return read


def flood(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
    """A cheap page as fast as one connection goes, ignoring Retry-After (the flood's
    connections share an address: a page, not a query, so the fair share does not slow it)."""
    again(aim, source, out, lambda c: ask(c, "GET", "/robots.txt"))


#: Forged headers, and the page whose links they would change.
FORGERIES = (
    ({"Host": FORGED}, "/"),
    ({"Host": f"{FORGED}:80"}, "/dumps.json"),
    ({"X-Forwarded-Host": FORGED, "X-Forwarded-Proto": "https"}, "/"),
    ({"X-Forwarded-Host": FORGED, "X-Forwarded-Prefix": "/evil"}, "/dumps.json"),
    ({"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": FORGED}, "/sitemap.xml"),
)


def forged_links(aim: Aim, source: str, n: int, out: list[Outcome]) -> None:
    """Forge Host and X-Forwarded-* in turn, FORGERY_RATE a second: an answer whose links name
    the forged host is ``forged``; one without, ``<status> clean``."""
    forgeries = itertools.islice(itertools.cycle(FORGERIES), n, None)
    period = 1 / FORGERY_RATE

    def send(conn: http.client.HTTPConnection) -> tuple[str, bytes]:
        headers, path = next(forgeries)
        time.sleep(period)
        outcome, body = ask(conn, "GET", path, None, headers)
        if outcome.isdigit() and int(outcome) < 300:
            outcome += " forged" if FORGED.encode() in body or b"/evil" in body else " clean"
        return outcome, body

    again(aim, source, out, send)


class Attack(NamedTuple):
    """One attack: its attackers' function and number, and whether each outcome is right."""

    name: str
    what: str
    attacker: Attacker
    attackers: int
    expected: Callable[[str], bool]
    #: Whether its 2xx answers must stay within the rate limit (its attackers share an address).
    limited: bool = False


def refused(outcome: str) -> bool:
    """A clear answer (4xx or 503), dropped, or cut short by the phase's end."""
    return outcome in ("dropped", "unfinished") or outcome[:1] == "4" or outcome.startswith("503")


ATTACKS = {
    a.name: a
    for a in (
        Attack("memory", "memory runaways (5 queries, cycled)", memory_runaway, 4, refused),
        Attack("cpu", "CPU runaways, more addresses than workers", cpu_runaway, 12, refused),
        Attack("slow-headers", "headers, a line every 5 s", slow_headers, 16, refused),
        Attack("slow-body", "POST body, a byte every 5 s", slow_body, 16, refused),
        *(
            Attack(
                f"slow-reader-{name}",
                f"read {DUMP} at {speed}",
                slow_reader(rate),
                16,
                lambda o: o == "whole",
            )
            for name, (rate, speed) in SLOW_RATES.items()
        ),
        Attack(
            "flood",
            f"one address, {FLOOD} connections, /robots.txt",
            flood,
            FLOOD,
            lambda o: o in ("200", "429"),
            limited=True,
        ),
        Attack(
            "forged-host",
            "forged Host and X-Forwarded-*",
            forged_links,
            2,
            lambda o: o == "400" or o.endswith(" clean"),
        ),
    )
}


def source(attack: Attack, index: int, n: int) -> str:
    """The source address of attacker ``n`` of the ``index``-th attack: the flood's attackers
    share one, every other attacker has its own."""
    return f"127.0.{10 + index}.{1 if attack.limited else n + 1}"


def launch(attack: Attack, index: int, aim: Aim) -> tuple[list[threading.Thread], list[Outcome]]:
    """Start the attack's attackers; their threads and the list their outcomes go to."""
    out: list[Outcome] = []
    threads = [
        threading.Thread(
            target=attack.attacker, args=(aim, source(attack, index, n), n, out), daemon=True
        )
        for n in range(attack.attackers)
    ]
    for thread in threads:
        thread.start()
    return threads, out
