"""A faster OWL 2 RL path for psfkg's ontology: its rules compiled, then run to a fixpoint.

owlrl (:func:`psfkg.reasoning.infer` with ``engine="owlrl"``) is the reference. It applies every
OWL 2 RL rule to every triple in rounds, which takes minutes on a few hundred thousand triples.
Here the schema (the ontology, a few hundred triples) is closed by owlrl itself, and what that
closure says about classes and properties is compiled into lookup tables. The rules about
individuals that the ontology can fire are then run over the data, semi-naively (each round
looks only at the triples the last round added):

- cax-sco (class hierarchy), prp-spo1 (property hierarchy), prp-dom and prp-rng,
- prp-inv1/2 (inverses), prp-symp (symmetric), prp-spo2 (property chains),
- cax-dw and cax-adc (disjoint classes) and cls-nothing2, as clashes.

An ontology that uses anything else (class expressions, sameAs, keys, transitive properties...),
or data that would make a functional property yield ``owl:sameAs``, is left to owlrl:
:func:`compile_rules` returns None and :func:`closure` reports why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from owlrl import DeductiveClosure, OWLRL_Semantics
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

Triple = tuple[Node, Node, Node]
#: Schema terms this compiler does not understand; an ontology using them goes to owlrl.
NOT_UNDERSTOOD_TYPES = {
    OWL.TransitiveProperty,
    OWL.InverseFunctionalProperty,
    OWL.IrreflexiveProperty,
    OWL.AsymmetricProperty,
    OWL.Restriction,
    OWL.AllDifferent,
    OWL.NegativePropertyAssertion,
}
NOT_UNDERSTOOD_PREDICATES = {
    OWL.sameAs,
    OWL.differentFrom,
    OWL.hasKey,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.oneOf,
    OWL.complementOf,
    OWL.someValuesFrom,
    OWL.allValuesFrom,
    OWL.hasValue,
    OWL.propertyDisjointWith,
    OWL.maxCardinality,
    OWL.maxQualifiedCardinality,
}


@dataclass
class Rules:
    """The ontology's closed schema as lookup tables."""

    schema: Graph
    #: The ontology's own triples (the schema without what owlrl added to it).
    ontology: frozenset[Triple] = frozenset()
    superclasses: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    superproperties: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    domains: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    ranges: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    inverses: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    symmetric: set[Node] = field(default_factory=set)
    functional: set[Node] = field(default_factory=set)
    chains: list[tuple[Node, list[Node]]] = field(default_factory=list)
    disjoint: set[frozenset[Node]] = field(default_factory=set)


def compile_rules(ontology: Graph) -> Rules | None:
    """Close the ontology with owlrl and compile it; None when it uses what is not compiled."""
    if any(p in NOT_UNDERSTOOD_PREDICATES for p in ontology.predicates()):
        return None
    if any(o in NOT_UNDERSTOOD_TYPES for o in ontology.objects(None, RDF.type)):
        return None
    schema = Graph()
    for triple in ontology:
        schema.add(triple)
    DeductiveClosure(OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(schema)
    rules = Rules(schema, frozenset(ontology))
    for s, o in schema.subject_objects(RDFS.subClassOf):
        if s != o:
            rules.superclasses[s].add(o)
    for s, o in schema.subject_objects(RDFS.subPropertyOf):
        if s != o:
            rules.superproperties[s].add(o)
    for s, o in schema.subject_objects(RDFS.domain):
        rules.domains[s].add(o)
    for s, o in schema.subject_objects(RDFS.range):
        rules.ranges[s].add(o)
    for s, o in schema.subject_objects(OWL.inverseOf):
        rules.inverses[s].add(o)
        rules.inverses[o].add(s)
    rules.symmetric = set(schema.subjects(RDF.type, OWL.SymmetricProperty))
    rules.functional = set(schema.subjects(RDF.type, OWL.FunctionalProperty))
    for prop, chain in schema.subject_objects(OWL.propertyChainAxiom):
        rules.chains.append((prop, list(Collection(schema, chain))))
    for s, o in schema.subject_objects(OWL.disjointWith):
        rules.disjoint.add(frozenset((s, o)))
    for group in schema.subjects(RDF.type, OWL.AllDisjointClasses):
        head = schema.value(group, OWL.members)
        members = list(Collection(schema, head)) if head is not None else []
        rules.disjoint.update(frozenset((a, b)) for a in members for b in members if a != b)
    return rules


class Codes:
    """Terms as small integers, so the rules compare and hash ints, not rdflib terms."""

    def __init__(self) -> None:
        self.ids: dict[Node, int] = {}
        #: IRIs (of exactly the type URIRef) by their text: a dict finding an equal rdflib term
        #: calls its Python ``__eq__``, a third of the look-ups' time; a str's is C.
        self.iris: dict[str, int] = {}
        self.terms: list[Node] = []
        self.literals: set[int] = set()

    def id(self, term: Node) -> int:
        """The id of a term, given on first sight."""
        if type(term) is URIRef:
            text = str.__str__(term)
            found = self.iris.get(text)
            if found is None:
                found = self.iris[text] = len(self.terms)
                self.terms.append(term)
            return found
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
            if isinstance(term, Literal):
                self.literals.add(found)
        return found

    def ids_of(self, terms: Iterable[Node]) -> set[int]:
        """The ids of some terms."""
        return {self.id(t) for t in terms}


IdTriple = tuple[int, int, int]


@dataclass
class Compiled:
    """The lookup tables of :class:`Rules`, over term ids."""

    type: int
    nothing: int
    superclasses: dict[int, set[int]]
    superproperties: dict[int, set[int]]
    domains: dict[int, set[int]]
    ranges: dict[int, set[int]]
    inverses: dict[int, set[int]]
    symmetric: set[int]
    chains: list[tuple[int, list[int]]]
    chain_links: set[int]


def _encode(rules: Rules, codes: Codes) -> Compiled:
    def table(source: dict[Node, set[Node]]) -> dict[int, set[int]]:
        return {codes.id(k): codes.ids_of(v) for k, v in source.items()}

    chains = [(codes.id(prop), [codes.id(link) for link in chain]) for prop, chain in rules.chains]
    return Compiled(
        type=codes.id(RDF.type),
        nothing=codes.id(OWL.Nothing),
        superclasses=table(rules.superclasses),
        superproperties=table(rules.superproperties),
        domains=table(rules.domains),
        ranges=table(rules.ranges),
        inverses=table(rules.inverses),
        symmetric=codes.ids_of(rules.symmetric),
        chains=chains,
        chain_links={link for _, chain in chains for link in chain},
    )


class Facts:
    """Triples of ids; those of some predicates indexed forward (subject -> objects) and some
    backward (object -> subjects), for the joins of chains and the checks after the fixpoint.
    Only those: indexing every triple both ways took most of the reasoning's time."""

    def __init__(self, forward: set[int], backward: set[int]) -> None:
        self.all: set[IdTriple] = set()
        self.forward: dict[int, dict[int, set[int]]] = {p: defaultdict(set) for p in forward}
        self.backward: dict[int, dict[int, set[int]]] = {p: defaultdict(set) for p in backward}

    def add(self, triples: Iterable[IdTriple]) -> set[IdTriple]:
        """Add triples; return those that were new."""
        new = set(triples) - self.all
        self.all |= new
        forward, backward = self.forward, self.backward
        for s, p, o in new:
            if p in forward:
                forward[p][s].add(o)
            if p in backward:
                backward[p][o].add(s)
        return new


def _walk(facts: Facts, starts: set[int], path: list[int], forward: bool) -> set[int]:
    ends = starts
    for prop in path:
        index = facts.forward[prop] if forward else facts.backward[prop]
        ends = {n for e in ends for n in index.get(e, ())}
        if not ends:
            break
    return ends


def _consequences(
    rules: Compiled, literals: set[int], facts: Facts, delta: Iterable[IdTriple]
) -> list[IdTriple]:
    """What one round of the rules derives from ``delta``: the triples are taken a predicate at
    a time, so that each rule is looked up once per predicate, not once per triple."""
    by_predicate: dict[int, list[IdTriple]] = defaultdict(list)
    for triple in delta:
        by_predicate[triple[1]].append(triple)
    type_ = rules.type
    out: list[IdTriple] = []
    for p, group in by_predicate.items():
        if p == type_:
            superclasses = rules.superclasses
            out += [(s, p, c) for s, _, o in group for c in superclasses.get(o, ())]
        for q in rules.superproperties.get(p, ()):
            out += [(s, q, o) for s, _, o in group]
        for c in rules.domains.get(p, ()):
            out += [(s, type_, c) for s, _, _ in group]
        group = [t for t in group if t[2] not in literals]
        for c in rules.ranges.get(p, ()):
            out += [(o, type_, c) for _, _, o in group]
        for q in rules.inverses.get(p, ()):
            out += [(o, q, s) for s, _, o in group]
        if p in rules.symmetric:
            out += [(o, p, s) for s, _, o in group]
        if p not in rules.chain_links:
            continue
        for prop, chain in rules.chains:
            for i, link in enumerate(chain):
                if link != p:
                    continue
                for s, _, o in group:
                    lefts = _walk(facts, {s}, chain[:i][::-1], forward=False)
                    rights = _walk(facts, {o}, chain[i + 1 :], forward=True)
                    out += [(left, prop, right) for left in lefts for right in rights]
    return out


class Unsupported(Exception):
    """The data asks for a rule this compiler leaves to owlrl."""


def closure(rules: Rules, triples: Iterable[Triple]) -> tuple[set[Triple], list[str]]:
    """What the compiled rules derive from ``triples`` (with the closed schema) that is neither
    among ``triples`` nor in the ontology, and the clashes found.

    :raises Unsupported: when a functional property has two values (owlrl would add sameAs).
    """
    codes = Codes()
    compiled = _encode(rules, codes)
    code = codes.id
    functional = codes.ids_of(rules.functional)
    links = compiled.chain_links
    facts = Facts(forward={compiled.type, *functional, *links}, backward=links)
    delta = facts.add((code(s), code(p), code(o)) for s, p, o in triples)
    given = set(delta)
    given.update((code(s), code(p), code(o)) for s, p, o in rules.ontology)
    delta |= facts.add((code(s), code(p), code(o)) for s, p, o in rules.schema)
    literals = codes.literals
    while delta:
        delta = facts.add(_consequences(compiled, literals, facts, delta))
    for prop in functional:
        for subject, values in facts.forward[prop].items():
            if len(values) > 1:
                raise Unsupported(
                    f"{codes.terms[subject]} has {len(values)} values of {codes.terms[prop]}"
                )
    terms = codes.terms
    clashes = []
    disjoint = [codes.ids_of(pair) for pair in rules.disjoint]
    for s, members in facts.forward[compiled.type].items():
        if compiled.nothing in members:
            clashes.append(f"{terms[s]} is a member of owl:Nothing")
        clashes += [
            f"{terms[s]} is an instance of the disjoint classes "
            f"{' and '.join(sorted(str(terms[c]) for c in pair))}"
            for pair in disjoint
            if pair <= members
        ]
    new = {(terms[s], terms[p], terms[o]) for s, p, o in facts.all - given}
    return new, sorted(set(clashes))
