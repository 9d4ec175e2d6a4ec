"""Every query the web tier runs is built here, so that the dataset rule is decided once.

``/sparql``, ``/query``, the named queries, resource pages and the site's own pages all call
:func:`prepare`: it screens the query (see :mod:`psfkg.query.screening`), checks that the graphs
it names are in the dataset, and builds the :class:`~psfkg.query.store.QueryRequest`. The
dataset is the protocol's ``default-graph-uri`` and ``named-graph-uri`` when given, else the
query's ``FROM`` and ``FROM NAMED``, else the default dataset, whose default graph is the set
union of all graphs.

The site's own queries (:func:`select` with ``own=True``) are written with psfkg's prefixes,
which are declared for them under the base of the release being served.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from flask import request as flask_request
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .. import formats
from ..errors import LongQueriesBusy, QueryRejected
from ..namespaces import known_prefixes
from ..query.screening import Screened, screen
from ..query.store import Answer, QueryRequest
from ..query.watchdog import SLOT_AFTER
from ..terms import Binding
from .service import service, stats
from .stats import Stats
from .traffic import limited

Bindings = tuple[tuple[str, Binding], ...]
#: Long queries one client held to the fair share may have under way at once.
LONG_PER_CLIENT = 1


def prepare(
    text: str,
    media_type: str,
    *,
    own: bool = False,
    base_iri: str | None = None,
    default_graphs: tuple[str, ...] = (),
    named_graphs: tuple[str, ...] = (),
    bindings: Bindings = (),
) -> tuple[Screened, QueryRequest]:
    """Screen a query and build its request.

    :param own: the query is the site's own, written with psfkg's prefixes (declared here).
    :param base_iri: what relative IRIs in the query resolve against.
    :raises QueryRejected: for anything a public endpoint refuses before evaluation, and for a
        ``FROM`` naming a graph that is not in the dataset (a ``default-graph-uri`` naming one
        reads as an empty graph, as the protocol's tests expect: it is never fetched).
    """
    svc = service()
    if own:
        text = prefix_lines() + text
    screened = screen(text, base=base_iri, max_depth=svc.settings.max_nesting)
    known = svc.store.named_graphs()
    unknown = [g for g in screened.from_graphs + screened.from_named_graphs if g not in known]
    if unknown:
        raise QueryRejected(f"FROM names a graph that is not in this dataset: <{unknown[0]}>")
    if not (default_graphs or named_graphs):
        # FROM and FROM NAMED describe the dataset as the protocol's parameters do: one rule.
        default_graphs, named_graphs = screened.from_graphs, screened.from_named_graphs
    request = QueryRequest(
        text,
        media_type,
        base_iri=base_iri,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        row_cap=svc.settings.result_row_cap,
        union_default_graph=not (default_graphs or named_graphs),
        bindings=bindings,
        prefixes=tuple(known_prefixes(svc.base).items()),
    )
    return screened, request


def prefix_lines() -> str:
    """``PREFIX`` declarations of psfkg's prefixes under the served base."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in service().prefixes.items())


def evaluate(query: QueryRequest) -> Answer:
    """Evaluate a request where it can be stopped (see :mod:`psfkg.query.runner`), as one of the
    client's fair share of evaluations (``PSFKG_CLIENT_SHARE``); past a quarter second of CPU,
    in one of the server's long slots (``PSFKG_LONG_QUERIES``), of which a client held to the
    share has one.

    :raises QueryRejected: 429 when the client already has its share under way.
    :raises LongQueriesBusy: the query turned long with no long slot for it, and was stopped.
    """
    svc = service()
    client = flask_request.remote_addr or "?"
    share = svc.settings.client_share if limited(client) else 0
    if not stats().begin(client, share):
        raise QueryRejected(
            f"you have {share} queries running on this server already; "
            "wait for one to finish, then send this one again",
            429,
        )
    try:
        # Bound to the server's Stats here: a worker's watchdog thread, which asks, has no app.
        lengthen = functools.partial(_lengthen, stats(), svc.settings.long_slots, share)
        return svc.runner.run(query, lengthen)
    finally:
        stats().end()


def _lengthen(counters: Stats, slots: int, share: int) -> LongQueriesBusy | None:
    """Take a long slot for this process's evaluation, or say why it cannot run long."""
    refused = counters.lengthen(slots, LONG_PER_CLIENT if share else 0)
    if refused is None:
        return None
    if refused == "yours":
        why = "you have a long query running on this server already"
    else:
        why = f"the server is busy with long queries ({slots} at once)"
    return LongQueriesBusy(
        f"{why}; this one used {SLOT_AFTER:g} s of CPU and was stopped (PSFKG_LONG_QUERIES); "
        "retry later"
    )


@dataclass(frozen=True)
class Value:
    """One value of a result row: its text, and whether it is an IRI."""

    text: str
    iri: bool = False

    def __str__(self) -> str:
        return self.text


#: A row of SELECT results for a page: variable -> value (unbound variables are absent).
Solution = dict[str, Value]


def select(
    text: str, bindings: Bindings = (), *, own: bool = False, cache: str | None = None
) -> tuple[list[str], list[Solution]]:
    """Run a SELECT for a page; return its variables and rows. With ``cache``, remember the answer
    for as long as the release is served (it never changes).

    :raises QueryRejected: for a malformed query; QueryTimeout or StoreUnavailable as any query.
    """
    svc = service()
    if cache is not None and cache in svc.cache:
        found: tuple[list[str], list[Solution]] = svc.cache[cache]
        return found
    _, request = prepare(text, formats.JSON_RESULTS.media_type, own=own, bindings=bindings)
    variables, rows = solutions(evaluate(request))
    if cache is not None:
        svc.cache[cache] = (variables, rows)
    return variables, rows


def solutions(answer: Answer) -> tuple[list[str], list[Solution]]:
    """The variables and rows of a SPARQL JSON answer to a SELECT."""
    doc = json.loads(answer.body)
    rows = [
        {k: Value(v["value"], v["type"] == "uri") for k, v in b.items()}
        for b in doc["results"]["bindings"]
    ]
    return doc["head"]["vars"], rows


#: The columns a CONSTRUCT or DESCRIBE answer is shown in.
TRIPLE = ("subject", "predicate", "object")


def triples(answer: Answer) -> list[Solution]:
    """The triples of an N-Triples answer to a CONSTRUCT or DESCRIBE, as rows for a page: a
    literal shows its language tag (``"Turku"@fi``) or datatype, a blank node its label."""
    graph = Graph().parse(data=answer.body, format="nt")
    return [
        {name: _value(term) for name, term in zip(TRIPLE, triple, strict=True)}
        for triple in sorted(graph)
    ]


def _value(term: Node) -> Value:
    if isinstance(term, URIRef):
        return Value(str(term), iri=True)
    if isinstance(term, Literal) and term.language:
        return Value(f"{term}@{term.language}")
    if isinstance(term, Literal) and term.datatype and term.datatype != XSD.string:
        return Value(f"{term}^^{term.datatype}")
    return Value(term.n3() if isinstance(term, BNode) else str(term))


def construct(
    text: str,
    media_type: str,
    *,
    own: bool = False,
    default_graphs: tuple[str, ...] = (),
    bindings: Bindings = (),
) -> bytes:
    """Run a CONSTRUCT or DESCRIBE for a page; its serialised triples."""
    _, request = prepare(
        text, media_type, own=own, default_graphs=default_graphs, bindings=bindings
    )
    return evaluate(request).body
