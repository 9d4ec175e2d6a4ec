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

An ontology that uses anything else (class expressions, sameAs, keys, transitive properties,
axioms about ``rdf:type`` itself...), or data that would make a functional property yield
``owl:sameAs``, is left to owlrl: :func:`compile_rules` returns None and :func:`closure` reports
why. The rules run on whole sets of small ints (:class:`Batch`), never on rdflib terms.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from owlrl import DeductiveClosure, OWLRL_Semantics
from rdflib import OWL, RDF, RDFS, Graph, Literal
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
    # The closure keeps rdf:type's triples apart (class -> subjects), out of the other rules' way.
    ruled = {*rules.symmetric, *rules.functional, *rules.domains, *rules.ranges, *rules.inverses}
    for prop, supers in rules.superproperties.items():
        ruled.update(supers, [prop])
    for prop, links in rules.chains:
        ruled.update(links, [prop])
    return None if RDF.type in ruled else rules


class Codes(dict[Node, int]):
    """Terms as small integers, so the rules compare and hash ints, not rdflib terms:
    ``codes[term]`` is the id of a term, given on first sight. A dict's own look-up (C) finds
    the terms already seen; only a new one calls Python."""

    def __init__(self) -> None:
        super().__init__()
        self.terms: list[Node] = []
        self.literals: set[int] = set()

    def __missing__(self, term: Node) -> int:
        found = self[term] = len(self.terms)
        self.terms.append(term)
        if isinstance(term, Literal):
            self.literals.add(found)
        return found

    def ids_of(self, terms: Iterable[Node]) -> set[int]:
        """The ids of some terms."""
        return {self[t] for t in terms}


#: The ids of a subject and an object are one int, ``s << SHIFT | o``: two 30-bit digits of a
#: Python int, which a set holds and hashes far more cheaply than a tuple of three.
SHIFT = 30
MASK = (1 << SHIFT) - 1


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
        return {codes[k]: codes.ids_of(v) for k, v in source.items()}

    chains = [(codes[prop], [codes[link] for link in chain]) for prop, chain in rules.chains]
    return Compiled(
        type=codes[RDF.type],
        nothing=codes[OWL.Nothing],
        superclasses=table(rules.superclasses),
        superproperties=table(rules.superproperties),
        domains=table(rules.domains),
        ranges=table(rules.ranges),
        inverses=table(rules.inverses),
        symmetric=codes.ids_of(rules.symmetric),
        chains=chains,
        chain_links={link for _, chain in chains for link in chain},
    )


@dataclass
class Batch:
    """Triples of ids, taken a key at a time so that the rules work on whole sets: those of
    ``rdf:type`` as class -> subjects, the others as predicate -> (subject, object) pairs."""

    types: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    pairs: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    def __bool__(self) -> bool:
        return bool(self.types or self.pairs)

    def read(self, codes: Codes, type_: int, triples: Iterable[Triple]) -> Batch:
        """Add rdflib triples; return self."""
        types, pairs = self.types, self.pairs
        for s, p, o in triples:
            predicate = codes[p]
            if predicate == type_:
                types[codes[o]].add(codes[s])
            else:
                pairs[predicate].add(codes[s] << SHIFT | codes[o])
        return self

    def drain(self, terms: list[Node], type_: int) -> Iterator[Triple]:
        """The triples as rdflib terms, taken out a key at a time: each key's set is freed once
        its triples are made, so the two do not fill memory together."""
        t = terms[type_]
        while self.types:
            c, subjects = self.types.popitem()
            cls = terms[c]
            yield from ((terms[s], t, cls) for s in subjects)
        while self.pairs:
            p, pairs = self.pairs.popitem()
            pred = terms[p]
            yield from ((terms[k >> SHIFT], pred, terms[k & MASK]) for k in pairs)


class Facts:
    """The triples so far: those given, and those derived, kept apart so that the given ones are
    not copied (nor published). The pairs of some predicates are also indexed forward
    (subject -> objects) and backward (object -> subjects), for the joins of chains."""

    def __init__(self, given: Batch, links: set[int]) -> None:
        self.given = given
        self.derived = Batch()
        # Lists, not sets: most hold one or two ids (a set of one takes 216 bytes, a list 64), and
        # a pair is indexed once, when it is new.
        self.forward: dict[int, dict[int, list[int]]] = {p: defaultdict(list) for p in links}
        self.backward: dict[int, dict[int, list[int]]] = {p: defaultdict(list) for p in links}
        self._index(given)

    def add(self, *batches: Batch) -> Batch:
        """Add triples; return those that were new."""
        new = Batch()
        for batch in batches:
            for given, derived, theirs, fresh in (
                (self.given.types, self.derived.types, batch.types, new.types),
                (self.given.pairs, self.derived.pairs, batch.pairs, new.pairs),
            ):
                for key, values in theirs.items():
                    added = values.difference(given.get(key, ()), derived.get(key, ()))
                    if not added:
                        continue
                    derived[key] |= added
                    if key in fresh:
                        fresh[key] |= added
                    else:
                        fresh[key] = added
        self._index(new)
        return new

    def _index(self, batch: Batch) -> None:
        for p, added in batch.pairs.items():
            if p in self.forward:
                forward, backward = self.forward[p], self.backward[p]
                for k in added:
                    s, o = k >> SHIFT, k & MASK
                    forward[s].append(o)
                    backward[o].append(s)

    def subjects(self, cls: int) -> set[int]:
        """The members of a class."""
        return self.given.types.get(cls, set()) | self.derived.types.get(cls, set())

    def pairs(self, prop: int) -> Iterator[int]:
        """The pairs of a property."""
        yield from self.given.pairs.get(prop, ())
        yield from self.derived.pairs.get(prop, ())


def _chain(
    facts: Facts, pairs: Iterable[int], before: list[int], after: list[int]
) -> Iterable[int]:
    """The pairs (start, end) of the chains ``before + [link] + after`` through the pairs of a
    link: each pair's object is walked forward along ``after``, then its subject backward."""
    for prop in after:
        index = facts.forward[prop]
        pairs = {k >> SHIFT << SHIFT | n for k in pairs for n in index.get(k & MASK, ())}
    for prop in reversed(before):
        index = facts.backward[prop]
        pairs = {n << SHIFT | k & MASK for k in pairs for n in index.get(k >> SHIFT, ())}
    return pairs


def _consequences(rules: Compiled, literals: set[int], facts: Facts, delta: Batch) -> Batch:
    """What one round of the rules derives from ``delta``, a set of triples at a time."""
    out = Batch()
    types, pairs = out.types, out.pairs
    for c, subjects in delta.types.items():
        for d in rules.superclasses.get(c, ()):
            types[d] |= subjects
    for p, group in delta.pairs.items():
        for q in rules.superproperties.get(p, ()):
            pairs[q] |= group
        domains = rules.domains.get(p, ())
        if domains:
            subjects = {k >> SHIFT for k in group}
            for c in domains:
                types[c] |= subjects
        ranges, inverses = rules.ranges.get(p, ()), rules.inverses.get(p, ())
        symmetric, chained = p in rules.symmetric, p in rules.chain_links
        if not (ranges or inverses or symmetric or chained):
            continue
        resources = [k for k in group if k & MASK not in literals]
        if ranges:
            objects = {k & MASK for k in resources}
            for c in ranges:
                types[c] |= objects
        if inverses or symmetric:
            flipped = {(k & MASK) << SHIFT | k >> SHIFT for k in resources}
            for q in inverses:
                pairs[q] |= flipped
            if symmetric:
                pairs[p] |= flipped
        if not chained:
            continue
        for prop, chain in rules.chains:
            for i, link in enumerate(chain):
                if link != p:
                    continue
                pairs[prop].update(_chain(facts, resources, chain[:i], chain[i + 1 :]))
    return out


class Unsupported(Exception):
    """The data asks for a rule this compiler leaves to owlrl."""


def closure(rules: Rules, triples: Iterable[Triple]) -> tuple[Iterator[Triple], list[str]]:
    """What the compiled rules derive from ``triples`` (with the closed schema) that is neither
    among ``triples`` nor in the ontology (an iterator, to be taken once), and the clashes found.

    :raises Unsupported: when a functional property has two values (owlrl would add sameAs).
    """
    codes = Codes()
    compiled = _encode(rules, codes)
    type_ = compiled.type
    functional = codes.ids_of(rules.functional)
    given = Batch().read(codes, type_, triples).read(codes, type_, rules.ontology)
    facts = Facts(given, compiled.chain_links)
    schema = facts.add(Batch().read(codes, type_, rules.schema))
    if len(codes.terms) > MASK:
        raise Unsupported(f"{len(codes.terms)} terms: too many for the compiled rules")
    literals = codes.literals
    delta = facts.add(*(_consequences(compiled, literals, facts, b) for b in (given, schema)))
    while delta:
        delta = facts.add(_consequences(compiled, literals, facts, delta))
    terms = codes.terms
    for prop in functional:
        counts = Counter(k >> SHIFT for k in facts.pairs(prop))
        for subject, n in counts.most_common(1):
            if n > 1:
                raise Unsupported(f"{terms[subject]} has {n} values of {terms[prop]}")
    clashes = [f"{terms[s]} is a member of owl:Nothing" for s in facts.subjects(compiled.nothing)]
    for pair in rules.disjoint:
        members = set.intersection(*(facts.subjects(codes[c]) for c in pair))
        names = " and ".join(sorted(str(c) for c in pair))
        clashes += [f"{terms[s]} is an instance of the disjoint classes {names}" for s in members]
    return facts.derived.drain(terms, type_), sorted(set(clashes))
