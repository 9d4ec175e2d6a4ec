"""What a page states about a resource: rows of a property and its values, each property named
by its label, each value marked when reasoning inferred it, and the resources that link here
grouped by their kind.

The release keeps the OWL 2 RL entailments in a graph of their own (``graph/inferred``, see
:mod:`psfkg.build.reasoning`), so a page can mark each inferred statement and leave them out on
request: ``?inferred=0`` hides them, ``?inferred=1`` (the default) shows them, marked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from flask import abort, request
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .. import formats
from ..namespaces import INFERRED_GRAPH, rebase
from ..terms import Binding
from .asking import construct
from .service import service
from .site import curie, href, label
from .vocabularies import INVERSES, LABELS

CONTEXT_QUERY = (Path(__file__).parent / "context.rq").read_text(encoding="utf-8")
#: What ``inferred=`` takes: whether to show the inferred statements.
INFERRED_CHOICES = {"0": False, "1": True}

Triple = tuple[Node, Node, Node]
HIDDEN = {RDF.type}
Pair = tuple[Node, Node]


@dataclass
class Link:
    """A value on a page: its text and, for a resource, where it links."""

    text: str
    href: str | None = None
    note: str | None = None
    #: Whether the statement that gives this value was inferred by reasoning.
    inferred: bool = False


@dataclass
class PropertyValues:
    """One predicate of a resource and its values."""

    predicate: Link
    values: list[Link] = field(default_factory=list)
    #: On a list of links to a resource: the kind of resource that links (organisation, event...).
    kind: Link | None = None

    @property
    def inferred(self) -> bool:
        """Whether every value of the row was inferred."""
        return all(v.inferred for v in self.values)


def ontology(text: str) -> list[Triple]:
    """The triples a CONSTRUCT (written with psfkg's prefixes) finds in the ontology's graph."""
    body = construct(
        text,
        formats.N_TRIPLES.media_type,
        own=True,
        default_graphs=(service().base + "graph/ontology",),
    )
    return list(triples(body))


def term_labels() -> dict[str, str]:
    """Labels of terms (for predicate names): the ontology's, else the published labels of the
    other vocabularies' terms (:mod:`~psfkg.web.vocabularies`); read once per worker."""
    svc = service()
    if "term_labels" not in svc.cache:
        found = ontology("CONSTRUCT WHERE { ?s rdfs:label ?l }")
        svc.cache["term_labels"] = LABELS | {str(s): str(o) for s, _, o in found}
    labels: dict[str, str] = svc.cache["term_labels"]
    return labels


def inverses() -> dict[Node, set[Node]]:
    """Each property's inverses (``owl:inverseOf``, both ways) in the ontology and the
    vocabularies it uses, read once per worker."""
    svc = service()
    if "inverses" not in svc.cache:
        found: dict[Node, set[Node]] = {}
        pairs = [(p, q) for p, _, q in ontology("CONSTRUCT WHERE { ?p owl:inverseOf ?q }")]
        for p, q in pairs + [(URIRef(p), URIRef(q)) for p, q in INVERSES]:
            found.setdefault(p, set()).add(q)
            found.setdefault(q, set()).add(p)
        svc.cache["inverses"] = found
    known: dict[Node, set[Node]] = svc.cache["inverses"]
    return known


def link(graph: Graph, term: Node) -> Link:
    """A value as a link (resources) or text (literals, and blank nodes, whose labels are a
    store's own and change from one load to the next: a list shows its items, in order)."""
    if isinstance(term, Literal):
        lang = f"@{term.language}" if term.language else ""
        return Link(str(term), note=lang or None)
    if isinstance(term, BNode):
        if (term, RDF.first, None) in graph:
            return Link("(" + " ".join(link(graph, i).text for i in graph.items(term)) + ")")
        return Link("(a resource with no IRI)")
    return Link(label(graph, term), href(term))


def predicate_link(predicate: Node) -> Link:
    """A predicate, named by its label when the ontology has one."""
    iri = str(predicate)
    return Link(term_labels().get(iri, curie(iri)), href(iri))


def never(_predicate: Node, _value: Node) -> bool:
    """A test of (predicate, value) that no pair passes."""
    return False


def grouped(
    graph: Graph,
    pairs: Iterable[Pair],
    *,
    inferred: Callable[[Node, Node], bool] = never,
    elsewhere: Callable[[Node, Node], bool] = never,
) -> list[PropertyValues]:
    """(predicate, value) pairs as rows, one per predicate; a value is marked when ``inferred``
    says its statement was, and left out when ``elsewhere`` says the page shows it in another
    place (a table, the title, the description).

    A row in another vocabulary whose values all stand under a psfkg term too is an echo of an
    alignment (``dcterms:description`` of ``psf:description``): the page leaves it out, the RDF
    keeps it.
    """
    values: dict[Node, set[Node]] = {}
    for p, o in pairs:
        if p not in HIDDEN and not (p == RDFS.label and isinstance(o, Literal)):
            values.setdefault(p, set()).add(o)
    psf = str(service().psf)
    ours = set().union(*(v for p, v in values.items() if str(p).startswith(psf)))
    rows = []
    for p, objects in values.items():
        kept = [o for o in objects if not elsewhere(p, o)]
        if kept and (str(p).startswith(psf) or not objects <= ours):
            links = [link(graph, o) for o in kept]
            for value, o in zip(links, kept, strict=True):
                value.inferred = inferred(p, o)
            rows.append(PropertyValues(predicate_link(p), sorted(links, key=lambda v: v.text)))
    return sorted(rows, key=lambda r: r.predicate.text)


def outgoing(
    graph: Graph,
    subject: URIRef,
    *,
    inferred: Callable[[Node, Node], bool] = never,
    elsewhere: Callable[[Node, Node], bool] = never,
) -> list[PropertyValues]:
    """The resource's own statements."""
    return grouped(graph, graph.predicate_objects(subject), inferred=inferred, elsewhere=elsewhere)


def incoming(
    graph: Graph,
    subject: URIRef,
    kinds: dict[Node, list[Node]],
    *,
    inferred: Callable[[Node, Node], bool] = never,
    elsewhere: Callable[[Node, Node], bool] = never,
) -> list[PropertyValues]:
    """Statements of other resources that point at this one, a row per kind of resource (its
    first psfkg type in ``kinds``) and predicate, the longest first: a country's organisations
    apart from its events."""
    by_kind: dict[Node | None, list[Pair]] = {}
    for s, p in graph.subject_predicates(subject):
        if s != subject:
            by_kind.setdefault(kinds.get(s, [None])[0], []).append((p, s))
    rows = []
    for kind, pairs in by_kind.items():
        for row in grouped(graph, pairs, inferred=inferred, elsewhere=elsewhere):
            row.kind = predicate_link(kind) if kind is not None else None
            rows.append(row)
    return sorted(
        rows, key=lambda r: (-len(r.values), r.kind.text if r.kind else "", r.predicate.text)
    )


def shown(rows: list[PropertyValues], *, inferred: bool) -> list[PropertyValues]:
    """``rows``, or without their inferred values (and the rows left empty) when not
    ``inferred``."""
    if inferred:
        return rows
    kept = [replace(row, values=[v for v in row.values if not v.inferred]) for row in rows]
    return [row for row in kept if row.values]


@dataclass
class Context:
    """The resource's inferred statements (both ways), and the psfkg types of what links to it."""

    inferred: set[Triple] = field(default_factory=set)
    kinds: dict[Node, list[Node]] = field(default_factory=dict)


def context(subject: URIRef) -> Context:
    """Ask the store which of ``subject``'s statements are inferred, and the psfkg types of the
    resources that point at it."""
    svc = service()
    answer = construct(
        CONTEXT_QUERY,
        formats.N_TRIPLES.media_type,
        own=True,
        bindings=(
            ("resource", Binding("iri", str(subject))),
            ("inferred", Binding("iri", rebase(str(INFERRED_GRAPH), svc.base))),
        ),
    )
    found = Context()
    for s, p, o in triples(answer):
        if s == subject or (o == subject and p != RDF.type):
            found.inferred.add((s, p, o))
        elif p == RDF.type:
            found.kinds.setdefault(s, []).append(o)
    for kinds in found.kinds.values():
        kinds.sort(key=str)
    return found


def triples(n_triples: bytes) -> Iterator[Triple]:
    """The triples of an N-Triples document, as rdflib terms: read by pyoxigraph, many times
    faster than rdflib's reader."""
    for t in ox.parse(n_triples, format=ox.RdfFormat.N_TRIPLES):
        yield _rdflib(t.subject), _rdflib(t.predicate), _rdflib(t.object)


def graph(n_triples: bytes) -> Graph:
    """An rdflib graph of an N-Triples document (see :func:`triples`)."""
    found = Graph()
    for triple in triples(n_triples):
        found.add(triple)
    return found


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """The rdflib term of a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"no rdflib term for {term!r}")


def shows_inferred() -> bool:
    """Whether the request wants the inferred statements shown (``inferred=1``, the default).

    :raises BadRequest: for any other value than 0 or 1.
    """
    given = request.args.get("inferred", "1")
    if given not in INFERRED_CHOICES:
        abort(
            400,
            f"inferred= takes 0 (hide inferred statements) or 1 (show them), not {given[:40]!r}",
        )
    return INFERRED_CHOICES[given]
