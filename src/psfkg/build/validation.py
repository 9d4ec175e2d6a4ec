"""Step 4: check the built graph against the SHACL shapes, and report in the maintainer's terms.

The shapes are in ``shapes/``: what must hold (``violations.ttl``, ``sh:Violation``) and what
should hold (``warnings.ttl``, ``sh:Warning``). Warnings are reported but do not fail a build.
A meta-check adds one rule of its own: every term of psfkg's namespace the data uses is declared
in the ontology.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, SH, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..config import PROJECT_ROOT
from ..namespaces import PSF
from . import compiled_shapes, triples
from .dumps import Terms
from .tables import Origin

SHAPES_DIR = PROJECT_ROOT / "shapes"
SHAPE_FILES = ("violations.ttl", "warnings.ttl")


@dataclass(frozen=True)
class Finding:
    """One result: which record, which rule, and what to do about it."""

    severity: str  # "Violation" or "Warning"
    focus: str
    rule: str
    message: str
    path: str | None = None
    value: str | None = None
    origin: Origin | None = None

    def __str__(self) -> str:
        where = f"{self.origin.file}:{self.origin.line}" if self.origin else "(built by psfkg)"
        detail = "".join(
            f" [{k} {v}]" for k, v in (("path", self.path), ("value", self.value)) if v
        )
        return f"{self.severity}: {where} {short(self.focus)}: {self.rule}: {self.message}{detail}"


@dataclass(frozen=True)
class Report:
    """The outcome of validation: conforms when there is no violation."""

    findings: tuple[Finding, ...]
    results_graph: Graph

    @property
    def conforms(self) -> bool:
        """True when no finding is a violation (warnings are allowed)."""
        return not any(f.severity == "Violation" for f in self.findings)

    @property
    def violations(self) -> list[Finding]:
        """The findings that fail a build."""
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        """The findings a maintainer should look at."""
        return [f for f in self.findings if f.severity == "Warning"]

    def text(self) -> str:
        """The report for people: one line per finding, violations first."""
        lines = [str(f) for f in (*self.violations, *self.warnings)]
        lines.append(
            f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s): "
            + ("conforms" if self.conforms else "does not conform")
        )
        return "\n".join(lines)


def short(iri: str) -> str:
    """An IRI as a maintainer would name the record: ``project/jatoc``.

    >>> short("https://w3id.org/psfkg/id/project/jatoc")
    'project/jatoc'
    """
    for marker in ("/id/", "/def#"):
        if marker in iri:
            return iri.split(marker, 1)[1]
    return iri


def shapes() -> Graph:
    """Both shape files as one shapes graph."""
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


def undeclared_terms(data: Iterable[triples.Triple], ontology: Graph) -> list[URIRef]:
    """Terms of psfkg's namespace that the data uses but the ontology does not declare."""
    used: set[Node] = set()
    # By the IRI's text: rdflib's own == on terms costs a Python call per triple.
    rdf_type = str(RDF.type)
    for _, p, o in data:
        used.add(p)
        if type(p) is URIRef and str.__eq__(p, rdf_type):
            used.add(o)
    declared = set(ontology.subjects(RDF.type, None))
    return sorted(
        t for t in used if isinstance(t, URIRef) and t.startswith(str(PSF)) and t not in declared
    )


def validate(
    data: Iterable[triples.Triple],
    ontology: Graph,
    origins: dict[URIRef, Origin],
    *,
    inferred: Iterable[triples.Triple] | None = None,
    engine: str = "compiled",
    terms: Terms | None = None,
) -> Report:
    """Validate ``data`` (and ``inferred``, its entailments) with the ontology mixed in.

    :param data: the triples to check (a Graph, or a set of triples).
    :param inferred: the triples reasoning added, checked with ``data`` (not copied into it).
    :param ontology: the ontology, so that ``sh:targetClass`` reaches subclasses.
    :param origins: for each record IRI, where it stands in ``data/``.
    :param engine: ``compiled`` (the shapes as SPARQL, see :mod:`psfkg.compiled_shapes`; it falls
        back to pySHACL for shapes it does not compile) or ``pyshacl`` (the reference).
    :param terms: rdflib terms already converted for pyoxigraph, to reuse (and fill).
    """
    shapes_graph = shapes()
    compiled = compiled_shapes.compile_shapes(shapes_graph) if engine == "compiled" else None
    if compiled is not None:
        found = compiled_shapes.run(compiled, chain(data, inferred or (), ontology), terms)
        findings = [_compiled_finding(r, origins) for r in found]
        return _report(findings, data, ontology, _results_graph(found))
    data = triples.graph(chain(data, inferred or ()))
    _, results, _ = shacl_validate(
        data,
        shacl_graph=shapes_graph,
        ont_graph=ontology,
        inference="none",
        allow_warnings=True,
        abort_on_first=False,
        meta_shacl=False,
        advanced=False,
    )
    findings = [
        _finding(results, shapes_graph, r, origins)
        for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
    return _report(findings, data, ontology, results)


def _report(
    findings: list[Finding], data: Iterable[triples.Triple], ontology: Graph, results: Graph
) -> Report:
    """Add the meta-check, sort for people, and wrap up."""
    for term in undeclared_terms(data, ontology):
        findings.append(
            Finding(
                "Violation",
                str(term),
                "Declared terms",
                f"{short(term)} is used but not declared in ontology/psfkg.ttl",
            )
        )
    findings.sort(
        key=lambda f: (
            f.severity != "Violation",
            f.origin.file if f.origin else "",
            f.origin.line if f.origin else 0,
            f.focus,
            f.rule,
            f.message,
        )
    )
    return Report(tuple(findings), results)


def _compiled_finding(result: compiled_shapes.Result, origins: dict[URIRef, Origin]) -> Finding:
    focus, value, path = result.focus, result.value, result.check.path
    return Finding(
        severity=str(result.check.severity).rsplit("#", 1)[-1],
        focus=str(focus),
        rule=result.shape.label,
        message=result.message or "does not conform",
        path=short(str(path)) if path is not None else None,
        value=str(value) if value is not None and value != focus else None,
        origin=origins.get(focus) if isinstance(focus, URIRef) else None,
    )


def _results_graph(found: list[compiled_shapes.Result]) -> Graph:
    """A SHACL validation report (``sh:ValidationReport``) of compiled results."""
    graph = Graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    conforms = not any(r.check.severity == SH.Violation for r in found)
    graph.add((report, SH.conforms, Literal(conforms)))
    for r in found:
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, r.focus))
        graph.add((node, SH.sourceShape, r.check.shape))
        graph.add((node, SH.resultSeverity, r.check.severity))
        graph.add((node, SH.sourceConstraintComponent, r.check.component))
        graph.add((node, SH.resultMessage, Literal(r.message)))
        if r.check.path is not None:
            graph.add((node, SH.resultPath, r.check.path))
        if r.value is not None:
            graph.add((node, SH.value, r.value))
    return graph


def _finding(
    results: Graph, shapes_graph: Graph, result: Node, origins: dict[URIRef, Origin]
) -> Finding:
    def one(predicate: URIRef) -> Node | None:
        return results.value(result, predicate)

    focus = one(SH.focusNode)
    shape = one(SH.sourceShape)
    severity = one(SH.resultSeverity)
    path, value = one(SH.resultPath), one(SH.value)
    node_shape = (
        next(iter(shapes_graph.subjects(SH.property, shape)), shape) if shape is not None else None
    )
    rule = shapes_graph.value(node_shape, RDFS.label) if node_shape is not None else None
    return Finding(
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        focus=str(focus),
        rule=str(rule or "SHACL"),
        message=str(one(SH.resultMessage) or "does not conform"),
        path=short(str(path)) if path is not None else None,
        value=str(value) if value is not None and value != focus else None,
        origin=origins.get(focus) if isinstance(focus, URIRef) else None,
    )
