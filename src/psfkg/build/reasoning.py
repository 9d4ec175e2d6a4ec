"""Step 3: the OWL 2 RL closure of ontology plus data, kept in a graph of its own.

owlrl computes the closure. Of what it adds, only the triples a researcher can use are kept:
statements about the dataset's own resources and terms, without the trivial ones
(``x owl:sameAs x``, ``x rdfs:subClassOf owl:Thing``, ``x a rdfs:Resource``...). A clash (a member
of ``owl:Nothing``, an individual of two disjoint classes...) fails the build.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from owlrl import DeductiveClosure, OWLRL_Semantics
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.term import Node

from ..errors import ReasoningClash
from ..namespaces import DEFAULT_BASE
from . import rules
from .triples import Triple, Triples

ERROR_MESSAGE = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
ERROR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
#: Objects that say nothing: every resource is a resource and a thing.
TRIVIAL_OBJECTS = frozenset({OWL.Thing, RDFS.Resource, RDFS.Class, OWL.Class, RDF.Property})
TYPING = frozenset({RDF.type, RDFS.subClassOf})
SCHEMA_NOISE = frozenset({RDFS.domain, RDFS.range})
#: Predicates whose reflexive statements (``x p x``) say nothing.
REFLEXIVE = frozenset(
    {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}
)


def useful(triple: tuple[Node, Node, Node]) -> bool:
    """Whether an inferred triple is worth publishing.

    >>> from rdflib import URIRef
    >>> p = URIRef("https://w3id.org/psfkg/id/project/jatoc")
    >>> useful((p, OWL.sameAs, p)), useful((p, RDF.type, OWL.Thing))
    (False, False)
    >>> useful((p, RDF.type, URIRef("https://schema.org/Project")))
    True
    """
    s, p, o = triple
    # str's startswith, not rdflib's (a Python call that first checks the prefix's type).
    if not isinstance(s, URIRef) or not str.startswith(s, DEFAULT_BASE):
        return False
    if p in REFLEXIVE and s == o:
        return False
    if p in TYPING and o in TRIVIAL_OBJECTS:
        return False
    # Domains and ranges widened along the alignments are schema noise, not facts.
    return p not in SCHEMA_NOISE


def infer(ontology: Graph, asserted: Iterable[Triple], *, engine: str = "rules") -> Triples:
    """The useful OWL 2 RL entailments of ontology plus asserted triples, as a new set.

    :param asserted: the data's triples (a Graph, or a set of triples).
    :param engine: ``rules`` (the ontology's rules compiled, see :mod:`psfkg.rules`; it falls back
        to owlrl for what it does not compile) or ``owlrl`` (the reference).
    :raises ReasoningClash: when the closure is inconsistent; the message lists each clash.
    """
    if engine == "rules":
        compiled = rules.compile_rules(ontology)
        if compiled is not None:
            try:
                derived, clashes = rules.closure(compiled, asserted)
            except rules.Unsupported:
                pass
            else:
                _raise_clashes(clashes)
                return Triples(filter(useful, derived))
    return _owlrl(ontology, asserted)


def _raise_clashes(clashes: list[str]) -> None:
    if clashes:
        raise ReasoningClash(
            "OWL RL reasoning found a clash:\n" + "\n".join(f"- {c}" for c in clashes)
        )


def _owlrl(ontology: Graph, asserted: Iterable[Triple]) -> Triples:
    closure = Graph()
    for triple in chain(ontology, asserted):
        closure.add(triple)
    known = set(closure)
    DeductiveClosure(OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )
    clashes = sorted(
        str(o) for m in closure.subjects(RDF.type, ERROR_MESSAGE) for o in closure.objects(m, ERROR)
    )
    clashes += [f"{s} is a member of owl:Nothing" for s in closure.subjects(RDF.type, OWL.Nothing)]
    _raise_clashes(clashes)
    return Triples(t for t in closure if t not in known and useful(t))
