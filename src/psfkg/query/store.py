"""Step 6: the dataset behind queries. Embedded (pyoxigraph) by default, behind a small interface.

A store answers a :class:`QueryRequest` with an :class:`Answer`: the serialised result in the
format the web tier negotiated, the number of rows, and whether the row cap cut it short. It also
lists its named graphs. Any store that does this (a remote triple store, say) can be plugged in.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from .. import formats
from ..errors import PsfkgError, QueryRejected
from ..terms import Binding
from . import results
from .syntax import explain

#: File suffixes psfkg can load, with their pyoxigraph format.
LOADABLE = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
#: How each format of SELECT and ASK results is written; graphs are written by pyoxigraph.
SELECT_WRITERS = {
    formats.JSON_RESULTS: results.json,
    formats.XML_RESULTS: results.xml,
    formats.CSV: results.csv,
    formats.TSV: results.tsv,
}
ASK_WRITERS = {
    formats.JSON_RESULTS: results.json_boolean,
    formats.XML_RESULTS: results.xml_boolean,
}


#: The terms a variable can be bound to.
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class QueryRequest:
    """A screened query and how to answer it.

    ``default_graphs`` and ``named_graphs`` are the request's dataset (the protocol's
    ``default-graph-uri`` and ``named-graph-uri``, else the query's FROM and FROM NAMED: see
    :func:`psfkg.web.asking.prepare`). When neither names a graph and ``union_default_graph`` is
    set, the default graph is the set union of all graphs; unset, it is the store's own.
    """

    query: str
    media_type: str
    base_iri: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    row_cap: int = 100_000
    union_default_graph: bool = True
    #: Values of variables, bound as RDF terms (SEP-0007 substitution).
    bindings: tuple[tuple[str, Binding], ...] = ()
    #: The prefixes psfkg knows (prefix, namespace): a syntax error for an undeclared one names
    #: its declaration (:func:`psfkg.query.syntax.explain`).
    prefixes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    """A serialised answer."""

    body: bytes
    media_type: str
    rows: int
    truncated: bool = False


class Store(Protocol):
    """What the web tier needs from a store."""

    def named_graphs(self) -> frozenset[str]:
        """The IRIs of the dataset's named graphs."""
        ...

    def answer(self, request: QueryRequest) -> Answer:
        """Evaluate a query and serialise its result.

        :raises QueryRejected: for a syntax error (with its position) or an unusable request.
        """
        ...


class EmbeddedStore:
    """An in-memory pyoxigraph store, read-only once loaded.

    The default graph of a query that names no dataset is the set union of all graphs (the
    service description's ``sd:UnionDefaultGraph``). pyoxigraph's own union repeats a triple once
    for each graph that holds it, so where graphs may share triples the store holds their union,
    each triple once, in its default graph, and queries read that instead.
    """

    def __init__(self) -> None:
        self._store = ox.Store()
        self._graphs: frozenset[str] = frozenset()
        self._union_held = False
        self._triples = 0
        #: Graphs that share a triple with another (none in a release: its graphs are disjoint).
        self._sharing: frozenset[str] = frozenset()

    @classmethod
    def from_files(cls, paths: Iterable[Path], *, disjoint: bool = False) -> EmbeddedStore:
        """Load RDF files: triples into the default graph, quads into their named graphs.

        :param disjoint: the graphs are known to share no triple and the default graph to be
            empty (a release says so), so no union need be held.
        :raises PsfkgError: for a file of unknown type or with a syntax error.
        """
        store = cls()
        for path in paths:
            fmt = LOADABLE.get(path.suffix.lower())
            if fmt is None:
                known = ", ".join(sorted(LOADABLE))
                raise PsfkgError(f"{path.name}: unknown RDF file type (known: {known})")
            if fmt == ox.RdfFormat.RDF_XML and _declares_entities(path):
                raise PsfkgError(
                    f"{path.name}: RDF/XML whose DTD declares entities is not loaded "
                    "(entity expansion can exhaust memory, or read files)"
                )
            try:
                # load, not bulk_load: into memory it is as fast, and its peak is half the
                # bulk loader's (at 100x: the store's size plus 0.1 of it, not plus 0.7), which
                # is what a server holds on top of the release it serves while it switches.
                store._store.load(path=str(path), format=fmt)
            except SyntaxError as exc:
                raise PsfkgError(f"{path.name}: {exc}") from None
        store._graphs = frozenset(
            g.value for g in store._store.named_graphs() if isinstance(g, ox.NamedNode)
        )
        store._triples = len(store._store)
        if not disjoint:
            store._hold_union()
        return store

    def _hold_union(self) -> None:
        """Copy every triple of the named graphs into the default graph, where the store keeps
        it once however many graphs hold it."""
        default = ox.DefaultGraph()
        first: dict[ox.Triple, str] = {}
        sharing: set[str] = set()
        for q in self._store.quads_for_pattern(None, None, None):
            graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            seen = first.setdefault(q.triple, graph)
            if seen != graph:
                sharing.update((seen, graph))
        self._sharing = frozenset(sharing)
        self._store.extend(
            ox.Quad(t.subject, t.predicate, t.object, default)
            for t, graph in first.items()
            if graph
        )
        self._union_held = True
        self._triples = sum(1 for _ in self._store.quads_for_pattern(None, None, None, default))

    def _merged(self, request: QueryRequest) -> ox.Store:
        """A store whose default graph is the RDF merge of the request's default graphs (each
        triple once: pyoxigraph repeats one that several of them hold), beside its named graphs.
        Only graphs that share triples need it, which a release's never do."""
        merged = ox.Store()
        default = ox.DefaultGraph()
        for name in request.default_graphs:
            graph = ox.NamedNode(name)
            merged.extend(
                ox.Quad(q.subject, q.predicate, q.object, default) for q in self._quads(graph)
            )
        for name in request.named_graphs:
            merged.extend(self._quads(ox.NamedNode(name)))
        return merged

    def _quads(self, graph: ox.NamedNode) -> Iterable[ox.Quad]:
        return self._store.quads_for_pattern(None, None, None, graph)

    def named_graphs(self) -> frozenset[str]:
        """The IRIs of the dataset's named graphs."""
        return self._graphs

    def __len__(self) -> int:
        """The triples of the default graph: the set union of the graphs."""
        return self._triples

    def answer(self, request: QueryRequest) -> Answer:
        """Evaluate and serialise, stopping at ``request.row_cap`` rows (or triples)."""
        substitutions: dict[ox.Variable, Term] | None = {
            ox.Variable(name): b.term() for name, b in request.bindings
        } or None
        try:
            if request.default_graphs or request.named_graphs:
                # The request's dataset: only the graphs it names (the default graph is empty
                # when it names none for it), their merge a set.
                store = self._store
                default: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
                    ox.NamedNode(g) for g in request.default_graphs
                ]
                if len(self._sharing.intersection(request.default_graphs)) > 1:
                    store, default = self._merged(request), [ox.DefaultGraph()]
                result = store.query(
                    request.query,
                    base_iri=request.base_iri,
                    default_graph=default,
                    named_graphs=[ox.NamedNode(g) for g in request.named_graphs],
                    substitutions=substitutions,
                )
            else:
                union = request.union_default_graph and not self._union_held
                result = self._store.query(
                    request.query,
                    base_iri=request.base_iri,
                    use_default_graph_as_union=union,
                    substitutions=substitutions,
                )
        except SyntaxError as exc:
            raise QueryRejected(explain(request.query, str(exc), dict(request.prefixes))) from None
        except (ValueError, RuntimeError) as exc:
            raise QueryRejected(f"the query cannot be run: {exc}") from None
        return write_answer(result, request)


def _declares_entities(path: Path) -> bool:
    """Whether an XML file's prolog (before its first element) declares an entity."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    prolog = re.split(rb"<[A-Za-z_]", re.sub(rb"<!--.*?-->", b"", head, flags=re.S), maxsplit=1)[0]
    return b"<!ENTITY" in prolog


def write_answer(
    result: ox.QueryBoolean | ox.QuerySolutions | Iterable[ox.Triple], request: QueryRequest
) -> Answer:
    """Serialise a query result as ``request.media_type``, stopping at ``request.row_cap``.

    :raises QueryRejected: 406 when the result's kind cannot be written in that format.
    """
    if isinstance(result, ox.QueryBoolean):
        fmt = _writable(request, "ASK", "an ASK")
        return Answer(ASK_WRITERS[fmt](bool(result)), request.media_type, 1)
    if isinstance(result, ox.QuerySolutions):
        return _solutions(result, _writable(request, "SELECT", "a SELECT"), request)
    return _triples(result, _writable(request, "CONSTRUCT", "a graph"), request)


def _writable(request: QueryRequest, form: str, kind: str) -> formats.Format:
    fmt = formats.from_media_type(request.media_type, formats.for_form(form))
    if fmt is None:
        raise QueryRejected(f"{kind} result cannot be written as {request.media_type}", 406)
    return fmt


def _solutions(solutions: ox.QuerySolutions, fmt: formats.Format, request: QueryRequest) -> Answer:
    variables = [v.value for v in solutions.variables]
    rows = [tuple(solution) for solution in itertools.islice(solutions, request.row_cap)]
    truncated = next(solutions, None) is not None
    body = SELECT_WRITERS[fmt](variables, rows)
    return Answer(body, request.media_type, len(rows), truncated)


def _triples(triples: Iterable[ox.Triple], fmt: formats.Format, request: QueryRequest) -> Answer:
    """A graph, its triples sorted: the same graph is then written as the same bytes, whatever
    order the evaluation (with its randomly seeded hash maps) gave them in."""
    rdf = ox.RdfFormat.from_media_type(fmt.media_type)
    assert rdf is not None, fmt
    remaining = iter(triples)
    kept = sorted(itertools.islice(remaining, request.row_cap), key=str)
    truncated = next(remaining, None) is not None
    body = ox.serialize(_as_quads(kept) if rdf.supports_datasets else kept, format=rdf)
    return Answer(body or b"", request.media_type, len(kept), truncated)


def _as_quads(triples: Sequence[ox.Triple]) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
