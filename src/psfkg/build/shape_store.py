"""The store that compiled shapes are checked in: the triples their queries can read, in pyoxigraph.

A query only reads the triples whose predicate one of its triple patterns names, so the store
holds only those: at 4,000 projects, half the triples (most of what reasoning adds, such as
``schema:member`` beside ``psf:participant``, is read by no shape). A query that can read any
predicate (a variable or a path in that place of a SPARQL constraint) keeps every triple.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import chain, compress, islice
from operator import itemgetter

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import traverse
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from .dumps import Terms

#: An IRI written in full, as compiled queries write them.
IRI = re.compile(r"<([^>]+)>")
#: A triple in N-Triples, from its terms' text: a chunk's text is one ``%`` of this repeated.
LINE = "%s %s %s .\n"
_PREDICATE = itemgetter(1)
#: What the queries finding the focus nodes read: ``?this a ?class`` and ``rdfs:subClassOf*``.
ALWAYS = (str(RDF.type), str(RDFS.subClassOf))


def compiled_reads(query: str) -> set[str]:
    """The predicates that a query of :mod:`psfkg.build.compiled_shapes` can read, but for those
    in :data:`ALWAYS` (``a``): its triple patterns have IRIs written in full, or a variable that
    a ``VALUES`` of IRIs binds, so every IRI in it is taken, predicate or not.

    >>> sorted(compiled_reads("SELECT ?this WHERE { ?this a <urn:C> ; <urn:p> ?v }"))
    ['urn:C', 'urn:p']
    """
    return set(IRI.findall(query))


def sparql_reads(query: str) -> set[str] | None:
    """The predicates that the SELECT query of a SPARQL constraint can read, or None when it can
    read any (a variable or a path in a predicate's place).

    >>> sparql_reads("PREFIX ex: <urn:> SELECT ?this WHERE { ?this ex:p ?v }") == {"urn:p"}
    True
    >>> sparql_reads("PREFIX ex: <urn:> SELECT ?this WHERE { ?this ex:p/ex:q ?v }") is None
    True
    """
    found: set[str] = set()
    anything = False

    def visit(node: object) -> None:
        """Each block of triple patterns: BGPs, and those of EXISTS left untranslated by rdflib
        (flat lists: subject, predicate, object, subject, ...)."""
        nonlocal anything
        if isinstance(node, CompValue) and "triples" in node:
            for flat in node["triples"]:
                for p in list(flat)[1::3]:
                    if isinstance(p, URIRef):
                        found.add(str(p))
                    else:
                        anything = True

    traverse(prepareQuery(query).algebra, visitPre=visit)
    return None if anything else found


def _blank(triple: tuple[Node, Node, Node]) -> bool:
    return isinstance(triple[0], BNode) or isinstance(triple[2], BNode)


def _text(triples: list[tuple[Node, Node, Node]], terms: Terms) -> str:
    """Triples as N-Triples."""
    return LINE * len(triples) % tuple(terms.texts(chain.from_iterable(triples)))


def load(
    data: Iterable[tuple[Node, Node, Node]], terms: Terms, read: set[str] | None = None
) -> ox.Store:
    """A store holding ``data``, or those triples of it whose predicate is in ``read``.

    Triples go in as N-Triples text, parsed by pyoxigraph: half the time of making a Quad object
    of each. The text (and the choice of triples) is made in C, with no Python call per triple
    but for a new term. Triples with a blank node go in as Quads, since each parse gives its
    blank nodes new labels (they are few: the ontology's lists).
    """
    store = ox.Store()
    triples = iter(data)
    # In chunks: pyoxigraph holds a whole load in memory twice (the text, then the
    # transaction).
    while chunk := list(islice(triples, 50_000)):
        if read is not None:
            # By the IRI's text: a set of rdflib terms would call their Python __eq__.
            chunk = list(compress(chunk, map(read.__contains__, map(str, map(_PREDICATE, chunk)))))
        text = _text(chunk, terms)
        # A blank node's text has "_:" (and, rarely, a literal's): only then are they sought.
        if "_:" in text:
            store.extend(ox.Quad(*(terms(t) for t in triple)) for triple in chunk if _blank(triple))
            text = _text([triple for triple in chunk if not _blank(triple)], terms)
        store.load(text, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    return store
