"""The build's graphs as plain sets of rdflib triples, not rdflib Graphs.

An rdflib ``Graph`` (its in-memory store) costs about 15 µs to add a triple and 1.5 KB to hold
it, with every quad indexed three ways; the build only adds, iterates and asks a few patterns by
predicate. :class:`Triples` is a ``set`` of ``(subject, predicate, object)`` with those few
look-ups; :func:`graph` makes a Graph of one where rdflib needs it (owlrl, pySHACL, tests), and
:func:`interned` one whose equal terms are one object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from itertools import chain

from rdflib import Graph
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


class Triples(frozenset[Triple]):
    """A set of triples, with the look-ups of an rdflib Graph that the build uses (each from an
    index by predicate, made at the first look-up: the set never changes).

    >>> from rdflib import RDF, URIRef
    >>> t = Triples([(URIRef("urn:a"), RDF.type, URIRef("urn:C"))])
    >>> list(t.subjects(RDF.type, URIRef("urn:C"))), list(t.objects(None, RDF.type))
    ([rdflib.term.URIRef('urn:a')], [rdflib.term.URIRef('urn:C')])
    """

    @cached_property
    def _by_predicate(self) -> dict[Node, list[tuple[Node, Node]]]:
        found: dict[Node, list[tuple[Node, Node]]] = {}
        for s, p, o in self:
            found.setdefault(p, []).append((s, o))
        return found

    def objects(self, subject: Node | None, predicate: Node) -> Iterator[Node]:
        """The objects of the triples ``(subject, predicate, ?)``; None matches any subject."""
        pairs = self._by_predicate.get(predicate, ())
        return (o for s, o in pairs if subject is None or s == subject)

    def subjects(self, predicate: Node, obj: Node) -> Iterator[Node]:
        """The subjects of the triples ``(?, predicate, obj)``."""
        return (s for s, o in self._by_predicate.get(predicate, ()) if o == obj)


def interned(triples: Iterable[Triple]) -> Triples:
    """The triples with each term one object: equal terms made apart (each ``PSF.x`` is a new
    URIRef) cost a Python ``__eq__`` at each look-up in a dict of terms, and their memory.

    >>> from rdflib import RDF, URIRef
    >>> [(s, _, o)] = interned([(URIRef("urn:a"), RDF.type, URIRef("urn:a"))])
    >>> s is o
    True
    """
    one: dict[Node, Node] = {}
    terms = list(chain.from_iterable(triples))
    each = map(one.setdefault, terms, terms)
    return Triples(zip(each, each, each, strict=True))


#: What the release step reads a named graph from.
AnyGraph = Graph | Triples


def graph(triples: Iterable[Triple]) -> Graph:
    """An rdflib Graph holding ``triples``."""
    out = Graph()
    for triple in triples:
        out.add(triple)
    return out
