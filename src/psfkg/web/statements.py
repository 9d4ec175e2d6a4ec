"""What a resource's page says beside its data: which statements reasoning added, and the kind
of each resource that links to it.

The release keeps the OWL 2 RL entailments in a graph of their own (``graph/inferred``, see
:mod:`psfkg.build.reasoning`), so a page can mark each inferred statement and leave them out on
request: ``?inferred=0`` hides them, ``?inferred=1`` (the default) shows them, marked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from flask import abort, request
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .. import formats
from ..namespaces import INFERRED_GRAPH, rebase
from ..terms import Binding
from .asking import construct
from .service import service

CONTEXT_QUERY = (Path(__file__).parent / "context.rq").read_text(encoding="utf-8")
#: What ``inferred=`` takes: whether to show the inferred statements.
INFERRED_CHOICES = {"0": False, "1": True}

Triple = tuple[Node, Node, Node]


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
