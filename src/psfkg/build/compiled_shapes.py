"""A faster SHACL path for psfkg's shapes: each constraint compiled to SPARQL over pyoxigraph.

pySHACL (:func:`psfkg.validation.validate` with ``engine="pyshacl"``) is the reference. The shapes
in ``shapes/`` use class targets, simple paths and a few core constraint components, plus
SPARQL-based constraints; each becomes one query that returns the focus nodes (and values) that
break it (a node shape's min and max counts share one), run over the data with the ontology mixed
in, as pySHACL does (of which the store holds the triples the queries can read, see
:mod:`psfkg.build.shape_store`). Shapes using anything
else (other targets or paths, logical or shape-based constraints...) make :func:`compile_shapes`
return None, and validation falls back to pySHACL.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, SH, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ..namespaces import DEFAULT_BASE
from .dumps import Terms
from .shape_store import ALWAYS, compiled_reads, load, sparql_reads

#: The target classes and their subclasses; each check then matches ``?this a ?class``, so that
#: no query carries a list of focus nodes (which grows with the data).
CLASSES = """SELECT DISTINCT ?class WHERE {
  VALUES ?target { %s } ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?target }"""
TARGETED = "VALUES ?class { $CLASSES } ?this a ?class"
#: ``$SUBCLASSES<C>`` in a check: C and its subclasses, filled in when the check runs.
SUBCLASSES = re.compile(r"\$SUBCLASSES(<[^>]+>)")
FOCUS = f"SELECT DISTINCT ?this WHERE {{ {TARGETED} }}"
#: The counts of values of some paths that break a node shape's min/max counts (the filter is
#: made from the counts): one query for all, not one per count, 4 times faster on 4,000 projects.
COUNTS = (
    "SELECT ?this ?path ?n WHERE { { SELECT ?this ?path (COUNT(DISTINCT ?v) AS ?n) WHERE { "
    + TARGETED
    + " . VALUES ?path { %s } OPTIONAL { ?this ?path ?v } } GROUP BY ?this ?path } FILTER (%s) }"
)
#: Constraint components compiled here; a property shape with others goes to pySHACL.
COMPILED = {
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH["class"],
    SH.nodeKind,
    SH.pattern,
    SH.minInclusive,
    SH.lessThanOrEquals,
    SH["in"],
    SH.hasValue,
    SH.uniqueLang,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    RDFS.label,
    RDF.type,
}
NODE_KEYS = {
    SH.targetClass,
    SH.property,
    SH.sparql,
    SH.severity,
    SH.message,
    RDFS.label,
    RDF.type,
    SH.name,
    SH.description,
}


@dataclass
class Check:
    """One compiled constraint: the query giving (focus, value) pairs that break it."""

    component: URIRef
    query: str
    message: str
    path: URIRef | None
    shape: Node
    severity: URIRef
    with_value: bool = True
    #: For min and max counts (``query`` is then empty): ``<`` or ``>``, and the bound.
    count: tuple[str, int] | None = None
    #: The predicates the check can read (None: any), for the store to hold only those: given
    #: for a SPARQL constraint, found in the query for the others.
    reads: set[str] | None = None

    def __post_init__(self) -> None:
        if self.component != SH.SPARQLConstraintComponent:
            self.reads = compiled_reads(self.query) | {str(self.path)}

    def breaks(self, n: int) -> bool:
        """Whether ``n`` values break this count."""
        assert self.count is not None
        below, bound = self.count
        return n < bound if below == "<" else n > bound


@dataclass
class NodeShape:
    """A node shape: its label, its targets, and the checks of its property and SPARQL shapes."""

    iri: Node
    label: str
    targets: list[str]
    checks: list[Check] = field(default_factory=list)

    @property
    def counts(self) -> str | None:
        """The query of :data:`COUNTS` for this shape's counts, if it has some."""
        counted = [(c.path, c.count) for c in self.checks if c.count is not None]
        if not counted:
            return None
        paths = " ".join(sorted({f"<{path}>" for path, _ in counted}))
        tests = " || ".join(f"(?path = <{path}> && ?n {b} {n})" for path, (b, n) in counted)
        return COUNTS % (paths, tests)


def _nt(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise ValueError(term)


def _property_checks(shapes: Graph, prop: Node, severity: URIRef) -> list[Check] | None:
    if any(p not in COMPILED for p in shapes.predicates(prop)):
        return None
    path = shapes.value(prop, SH.path)
    if not isinstance(path, URIRef):
        return None
    message = str(shapes.value(prop, SH.message) or "")
    own = shapes.value(prop, SH.severity)
    severity = own if isinstance(own, URIRef) else severity
    p = f"<{path}>"
    checks = []

    def add(component: URIRef, where: str, with_value: bool = True) -> None:
        select = "?this ?value" if with_value else "?this"
        query = f"SELECT DISTINCT {select} WHERE {{ {TARGETED} . {where} }}"
        checks.append(Check(component, query, message, path, prop, severity, with_value))

    for bound, below, component in (
        (SH.minCount, "<", SH.MinCountConstraintComponent),
        (SH.maxCount, ">", SH.MaxCountConstraintComponent),
    ):
        if (n := shapes.value(prop, bound)) is not None:
            count = (below, int(str(n)))
            checks.append(Check(component, "", message, path, prop, severity, False, count))
    if (d := shapes.value(prop, SH.datatype)) is not None:
        add(
            SH.DatatypeConstraintComponent,
            f"?this {p} ?value FILTER (!isLiteral(?value) || datatype(?value) != <{d}>)",
        )
    if (c := shapes.value(prop, SH["class"])) is not None:
        add(
            SH.ClassConstraintComponent,
            # MINUS, not FILTER NOT EXISTS (the same here, ?value being bound): pyoxigraph runs
            # it as one anti-join rather than a look-up per value, 6 times faster on 4,000 projects.
            f"?this {p} ?value "
            f"MINUS {{ VALUES ?valueClass {{ $SUBCLASSES<{c}> }} ?value a ?valueClass }}",
        )
    if (k := shapes.value(prop, SH.nodeKind)) is not None:
        kinds: dict[Node, str] = {
            SH.IRI: "isIRI(?value)",
            SH.Literal: "isLiteral(?value)",
            SH.BlankNode: "isBlank(?value)",
        }
        test = kinds.get(k)
        if test is None:
            return None
        add(SH.NodeKindConstraintComponent, f"?this {p} ?value FILTER (!({test}))")
    if (r := shapes.value(prop, SH.pattern)) is not None:
        add(
            SH.PatternConstraintComponent,
            f"?this {p} ?value "
            f"FILTER (isBlank(?value) || !REGEX(STR(?value), {Literal(str(r)).n3()}))",
        )
    # A comparison SPARQL cannot make (an error) is a violation in SHACL: hence COALESCE.
    if (m := shapes.value(prop, SH.minInclusive)) is not None:
        add(
            SH.MinInclusiveConstraintComponent,
            f"?this {p} ?value FILTER (!COALESCE(?value >= {_nt(m)}, false))",
        )
    if (q := shapes.value(prop, SH.lessThanOrEquals)) is not None:
        add(
            SH.LessThanOrEqualsConstraintComponent,
            f"?this {p} ?value . ?this <{q}> ?other FILTER (!COALESCE(?value <= ?other, false))",
        )
    if (head := shapes.value(prop, SH["in"])) is not None:
        members = ", ".join(_nt(m) for m in Collection(shapes, head))
        add(SH.InConstraintComponent, f"?this {p} ?value FILTER (?value NOT IN ({members}))")
    if (v := shapes.value(prop, SH.hasValue)) is not None:
        add(SH.HasValueConstraintComponent, f"FILTER NOT EXISTS {{ ?this {p} {_nt(v)} }}", False)
    if shapes.value(prop, SH.uniqueLang) == Literal(True):
        add(
            SH.UniqueLangConstraintComponent,
            f"?this {p} ?a, ?b FILTER (?a != ?b && LANG(?a) != '' && LANG(?a) = LANG(?b))",
            False,
        )
    return checks


def _sparql_check(shapes: Graph, constraint: Node, shape: Node, severity: URIRef) -> Check | None:
    select = shapes.value(constraint, SH.select)
    if select is None:
        return None
    prefixes = ""
    for declarer in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            name = shapes.value(declaration, SH.prefix)
            prefixes += f"PREFIX {name}: <{shapes.value(declaration, SH.namespace)}>\n"
    query = prefixes + str(select).replace("$this", "?this")
    message = str(shapes.value(constraint, SH.message) or "")
    # Parsed here, once, not in run(): pyparsing leaves reference cycles that hold the frames
    # of its callers (and the store, in run's) while the build pauses the cycle collector.
    reads = sparql_reads(query)
    return Check(
        SH.SPARQLConstraintComponent, query, message, None, shape, severity, False, reads=reads
    )


def compile_shapes(shapes: Graph) -> list[NodeShape] | None:
    """The shapes as compiled checks, or None when one uses what is not compiled."""
    compiled = []
    for iri in sorted(shapes.subjects(RDF.type, SH.NodeShape), key=str):
        if any(p not in NODE_KEYS for p in shapes.predicates(iri)):
            return None
        severity = shapes.value(iri, SH.severity)
        severity = severity if isinstance(severity, URIRef) else SH.Violation
        node = NodeShape(
            iri,
            str(shapes.value(iri, RDFS.label) or iri),
            [f"<{c}>" for c in shapes.objects(iri, SH.targetClass)],
        )
        for prop in shapes.objects(iri, SH.property):
            checks = _property_checks(shapes, prop, severity)
            if checks is None:
                return None
            node.checks += checks
        for constraint in shapes.objects(iri, SH.sparql):
            check = _sparql_check(shapes, constraint, iri, severity)
            if check is None:
                return None
            node.checks.append(check)
        compiled.append(node)
    return compiled


@dataclass(frozen=True)
class Result:
    """One broken constraint: like a SHACL validation result."""

    shape: NodeShape
    check: Check
    focus: Node
    value: Node | None
    message: str


def _rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def run(
    shapes: list[NodeShape], data: Iterable[tuple[Node, Node, Node]], terms: Terms | None = None
) -> list[Result]:
    """Validate triples (data with the ontology mixed in) against compiled shapes.

    :param terms: the conversion of rdflib terms to use (and fill), under the default base; the
        release step converts the same terms for the dumps.
    """
    terms = terms if terms is not None and terms.base == DEFAULT_BASE else Terms(DEFAULT_BASE)
    read: set[str] | None = set(ALWAYS)
    for check in (check for shape in shapes for check in shape.checks):
        read = None if read is None or check.reads is None else read | check.reads
    store = load(data, terms, read)
    known: dict[str, str] = {}

    def subclasses(targets: str) -> str:
        """Some classes and their subclasses, as IRIs for a VALUES block (asked once each)."""
        if targets not in known:
            known[targets] = " ".join(str(r["class"]) for r in _select(store, CLASSES % targets))
        return known[targets]

    results = []
    for shape in shapes:
        if not shape.targets:
            continue
        classes = subclasses(" ".join(shape.targets))
        # Each check's results, given in the order of the checks, as when each was a query.
        found: dict[int, list[Result]] = defaultdict(list)
        if (counts := shape.counts) is not None:
            for row in _select(store, counts.replace("$CLASSES", classes)):
                this, path, n = row["this"], row["path"].value, int(row["n"].value)
                for i, check in enumerate(shape.checks):
                    if check.count is not None and str(check.path) == path and check.breaks(n):
                        message = _message(check.message, {"this": this})
                        found[i].append(Result(shape, check, _rdflib(this), None, message))
        in_focus: set[str] | None = None
        for i, check in enumerate(shape.checks):
            if check.count is not None:
                continue
            seen: set[tuple[str, str]] = set()
            if check.component == SH.SPARQLConstraintComponent and in_focus is None:
                in_focus = {
                    str(r["this"]) for r in _select(store, FOCUS.replace("$CLASSES", classes))
                }
            query = check.query.replace("$CLASSES", classes)
            for row in _select(store, SUBCLASSES.sub(lambda m: subclasses(m[1]), query)):
                this = row["this"]
                value = row["value"] if check.with_value else None
                if this is None or (
                    in_focus is not None
                    and check.component == SH.SPARQLConstraintComponent
                    and str(this) not in in_focus
                ):
                    continue
                if (str(this), str(value)) in seen:
                    continue
                seen.add((str(this), str(value)))
                found[i].append(
                    Result(
                        shape,
                        check,
                        _rdflib(this),
                        _rdflib(value) if value else None,
                        _message(check.message, row),
                    )
                )
        results += [r for i in range(len(shape.checks)) for r in found[i]]
    return results


def _message(message: str, row: ox.QuerySolution | dict[str, Any]) -> str:
    """A check's message, with the ``{?name}`` of each variable replaced by its value."""
    for name in re.findall(r"\{\?(\w+)\}", message):
        try:
            bound = row[name]
        except (KeyError, IndexError):
            bound = None
        message = message.replace(f"{{?{name}}}", bound.value if bound is not None else "")
    return message


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions
