"""A store that is another triple store, spoken to over SPARQL 1.1: Virtuoso, Fuseki, QLever,
GraphDB... and :func:`publish`, which loads a release into one through the Graph Store Protocol.

The web tier on top stays the same: screening, limits, negotiation and pages. The remote answer is
read in one format (SPARQL JSON results, or N-Triples for graphs), parsed with pyoxigraph and
written with the same code as the embedded store's, so that the row cap, the formats and the
errors do not depend on the backend.

Datasets: a remote store usually holds graphs of its own (Virtuoso's system graphs, say), so a
query that names no dataset is sent with the release's named graphs as both ``default-graph-uri``
and ``named-graph-uri``: the default graph is then the union of psfkg's graphs, as on the embedded
store.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from .. import formats
from ..errors import PsfkgError, QueryRejected, StoreUnavailable
from .screening import where_group
from .store import Answer, QueryRequest, write_answer
from .syntax import explain

#: What the remote store is asked for: SPARQL JSON results, or N-Triples for a graph.
RESULTS, TRIPLES = formats.JSON_RESULTS.media_type, formats.N_TRIPLES.media_type


class RemoteStore:
    """A SPARQL 1.1 endpoint holding a published release."""

    def __init__(
        self, endpoint: str, graphs: Iterable[str], *, triples: int, timeout: float
    ) -> None:
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PsfkgError(
                f"PSFKG_STORE must be 'embedded' or an http(s) SPARQL endpoint, not {endpoint!r}"
            )
        self.endpoint, self._url = endpoint, parsed
        self._graphs = frozenset(graphs)
        self.triples, self.timeout = triples, timeout
        self._empty = ox.Store()  # checks syntax locally, so errors read the same on every backend
        self._connection: tuple[int, http.client.HTTPConnection] | None = None

    def close(self) -> None:
        """Close the kept-alive connection of this process, if any."""
        if self._connection is not None and self._connection[0] == os.getpid():
            self._connection[1].close()
        self._connection = None

    def __del__(self) -> None:
        self.close()

    def named_graphs(self) -> frozenset[str]:
        """The release's named graphs (the remote store may hold others: they are not served)."""
        return self._graphs

    def __len__(self) -> int:
        return self.triples

    def answer(self, request: QueryRequest) -> Answer:
        """Check the query, send it, and write the remote answer like the embedded store's.

        :raises QueryRejected: for a syntax error, or a query the remote store refuses.
        :raises StoreUnavailable: when the remote store cannot be reached or fails.
        """
        # Asking an empty store checks the syntax (same errors on every backend) and tells the
        # query form by the kind of result, so that each form is asked for in one format.
        try:
            probe = self._empty.query(request.query, base_iri=request.base_iri)
        except SyntaxError as exc:
            raise QueryRejected(explain(request.query, str(exc), dict(request.prefixes))) from None
        except (ValueError, RuntimeError):
            probe = None  # not a syntax error: let the remote store judge
        graph = probe is not None and not isinstance(probe, ox.QueryBoolean | ox.QuerySolutions)
        fields = [("query", with_values(request))]
        if request.default_graphs or request.named_graphs:
            fields += [("default-graph-uri", g) for g in request.default_graphs]
            fields += [("named-graph-uri", g) for g in request.named_graphs]
        elif request.union_default_graph:
            fields += [("default-graph-uri", g) for g in sorted(self._graphs)]
            fields += [("named-graph-uri", g) for g in sorted(self._graphs)]
        status, media_type, body = self._post(
            urllib.parse.urlencode(fields).encode(), TRIPLES if graph else RESULTS
        )
        if 400 <= status < 500:
            raise QueryRejected(f"the store refused the query: {_first_line(body)}")
        if status != 200:
            raise StoreUnavailable(f"the store answered {status}: {_first_line(body)}")
        result: ox.QueryBoolean | ox.QuerySolutions | Iterable[ox.Triple]
        if media_type == RESULTS:
            result = ox.parse_query_results(_valid_bnodes(body), format=ox.QueryResultsFormat.JSON)
            if isinstance(probe, ox.QueryBoolean) and isinstance(result, ox.QuerySolutions):
                result = _as_boolean(result)
        else:
            result = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        return write_answer(result, request)

    def _post(self, body: bytes, accept: str) -> tuple[int, str, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        path = self._url.path or "/"
        for attempt in (1, 2):  # a kept-alive connection the server closed gets one retry
            connection = self._connect()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                media_type = response.getheader("Content-Type", "").split(";")[0].strip()
                return response.status, media_type, data
            except (OSError, http.client.HTTPException) as exc:
                self._connection = None
                connection.close()
                if attempt == 2:
                    raise StoreUnavailable(
                        f"the store at {self.endpoint} cannot be reached ({exc})"
                    ) from None
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        # One connection per process: query children are forked, and must not share a socket.
        if self._connection is None or self._connection[0] != os.getpid():
            cls = (
                http.client.HTTPSConnection
                if self._url.scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = (
                os.getpid(),
                cls(self._url.hostname or "", self._url.port, timeout=self.timeout),
            )
        return self._connection[1]


def with_values(request: QueryRequest) -> str:
    """The query with its bindings as inline data (``VALUES``) opening its WHERE group.

    SPARQL has no parameters in its protocol; inline data is its own way to bind a variable, and
    joined at the start of the WHERE group it binds it for the whole pattern (Virtuoso refuses a
    trailing ``VALUES`` but on SELECT). The values are written by pyoxigraph as RDF terms, so
    they are always escaped: nothing a user sends is pasted into the query.
    """
    if not request.bindings:
        return request.query
    names = " ".join(f"?{name}" for name, _ in request.bindings)
    terms = " ".join(str(binding.term()) for _, binding in request.bindings)
    at = where_group(request.query)
    return f"{request.query[:at]} VALUES ({names}) {{ ({terms}) }} {request.query[at:]}"


BNODE_VALUE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")([^"]*)(")')


def _valid_bnodes(body: bytes) -> bytes:
    """Blank nodes relabelled validly: Virtuoso labels them ``nodeID://b10006`` in JSON results.

    >>> _valid_bnodes(b'{"type": "bnode", "value": "nodeID://b1"}')
    b'{"type": "bnode", "value": "vd4c5fcb32af942c3"}'
    """

    def relabel(match: re.Match[bytes]) -> bytes:
        label = match[2]
        if re.fullmatch(rb"[A-Za-z0-9_]+", label):
            return match[0]
        return match[1] + b"v" + hashlib.sha1(label).hexdigest()[:16].encode() + match[3]

    return BNODE_VALUE.sub(relabel, body)


def _as_boolean(solutions: ox.QuerySolutions) -> ox.QueryBoolean:
    """Virtuoso answers ASK with a one-row table (``__ASK_RETVAL`` 1 or 0): read it as a boolean."""
    rows = [tuple(row) for row in solutions]
    value = rows[0][0] if rows and rows[0] else None
    truth = isinstance(value, ox.Literal) and value.value in ("1", "true")
    parsed = ox.parse_query_results(
        b'{"head":{},"boolean":%s}' % (b"true" if truth else b"false"),
        format=ox.QueryResultsFormat.JSON,
    )
    assert isinstance(parsed, ox.QueryBoolean)
    return parsed


def _first_line(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return (text.splitlines() or [""])[0][:300]


def publish(
    dataset_file: Path,
    gsp: str,
    *,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 600,
) -> dict[str, int]:
    """Load every named graph of an N-Quads dump into a store, by Graph Store Protocol ``PUT``.

    :param dataset_file: the release's ``psfkg.nq``.
    :param gsp: the store's Graph Store Protocol URL (``?graph=`` is added).
    :param user: for a store that asks for credentials (HTTP digest or basic, as it asks).
    :returns: the triples sent per graph.
    :raises PsfkgError: when the store refuses a graph or cannot be reached.
    """
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(path=str(dataset_file), format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, ox.NamedNode):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            graphs.setdefault(quad.graph_name.value, []).append(triple)
    sent = {}
    with requests.Session() as session:
        if user is not None:
            _authenticate(session, gsp, user, password or "", timeout)
        for name, triples in sorted(graphs.items()):
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            try:
                response = session.put(
                    gsp,
                    params={"graph": name},
                    data=body,
                    timeout=timeout,
                    headers={"Content-Type": "application/n-triples"},
                )
            except requests.RequestException as exc:
                raise PsfkgError(f"the store at {gsp} cannot be reached: {exc}") from None
            if response.status_code >= 300:
                raise PsfkgError(
                    f"the store refused graph <{name}>: {response.status_code} "
                    f"{_first_line(response.content)}"
                )
            sent[name] = len(triples)
    return sent


def _authenticate(
    session: requests.Session, gsp: str, user: str, password: str, timeout: float
) -> None:
    """Pick the scheme the store asks for, and prime it with a small request.

    A store that challenges a large PUT may close the connection before the body is sent; once
    primed, digest authentication is sent with every request, before the store asks.
    """
    try:
        challenge = session.get(gsp, params={"graph": "urn:psfkg:probe"}, timeout=timeout)
        scheme = challenge.headers.get("WWW-Authenticate", "").split(" ", 1)[0].lower()
        session.auth = (
            HTTPDigestAuth(user, password) if scheme == "digest" else HTTPBasicAuth(user, password)
        )
        session.get(gsp, params={"graph": "urn:psfkg:probe"}, timeout=timeout)
    except requests.RequestException as exc:
        raise PsfkgError(f"the store at {gsp} cannot be reached: {exc}") from None


def graphs_of(manifest_file: Path) -> dict[str, int]:
    """The named graphs of a release and their triple counts, from its manifest."""
    counts: dict[str, int] = json.loads(manifest_file.read_text(encoding="utf-8"))["triples"]
    return counts
