"""The compiled shapes give pySHACL's results: conforms, and the same focus nodes per shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate as shacl_validate
from rdflib import RDF, SH, Graph
from rdflib.term import Node

from psfkg.build.compiled_shapes import compile_shapes, run
from psfkg.build.mapping import map_records, ontology
from psfkg.build.pipeline import Checked
from psfkg.build.reasoning import infer
from psfkg.build.records import load
from psfkg.build.triples import graph
from psfkg.build.validation import Report, shapes, validate
from psfkg.sources import synth

EXAMPLES = sorted((Path(__file__).parents[1] / "shapes").glob("*.ttl"))


def outcome(report: Report) -> tuple[bool, set[tuple[str, str, str, str]]]:
    return report.conforms, {(f.severity, f.rule, f.focus, f.message) for f in report.findings}


def results(report: Report) -> list[tuple[Node | None, ...]]:
    """Each sh:ValidationResult of the report graph, as the SHACL terms both engines give; the
    shape that gave it is there exactly once (its blank node differs between engines)."""
    graph, out = report.results_graph, []
    for result in graph.subjects(RDF.type, SH.ValidationResult):
        assert len(list(graph.objects(result, SH.sourceShape))) == 1, result
        terms = (SH.focusNode, SH.resultSeverity, SH.sourceConstraintComponent, SH.resultPath)
        out.append(tuple(graph.value(result, t) for t in terms))
    return sorted(out, key=str)


def same(data: Graph, onto: Graph) -> None:
    reference = validate(data, onto, {}, engine="pyshacl")
    compiled = validate(data, onto, {}, engine="compiled")
    assert outcome(compiled) == outcome(reference)
    assert results(compiled) == results(reference)


def test_every_shape_is_compiled() -> None:
    compiled = compile_shapes(shapes())
    assert compiled is not None and len(compiled) == 14


def test_same_results_on_the_psf_data(checked: Checked) -> None:
    same(checked.asserted + checked.inferred, checked.ontology)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_same_results_on_every_shape_example(example: Path) -> None:
    same(Graph().parse(example), ontology())


def test_same_results_on_400_synthetic_projects(tmp_path: Path) -> None:
    synth.write(tmp_path / "data", projects=400, seed=3)
    asserted = map_records(load(tmp_path / "data")).graph
    onto = ontology()
    same(asserted + graph(infer(onto, asserted)), onto)


COUNTED_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:S a sh:NodeShape ; rdfs:label "S" ; sh:targetClass ex:C ;
  sh:property [ sh:path ex:p ; sh:minCount 2 ; sh:message "at least two p" ] ;
  sh:property [ sh:path ex:p ; sh:maxCount 0 ; sh:message "no p" ] ;
  sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:maxCount 1 ; sh:message "one q" ] .
"""
COUNTED_DATA = """
@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:D rdfs:subClassOf ex:C .
ex:a a ex:C ; ex:p 1 . ex:b a ex:D ; ex:p 1, 2, "2" ; ex:q 1, 2 . ex:c a ex:C ; ex:q ex:x .
"""


def test_counts_of_one_node_shape_share_a_query_and_give_pyshacls_results() -> None:
    """Two property shapes on one path, and a min and a max on another: each count that breaks
    is reported once, for the right check, as pySHACL reports it."""
    shapes_graph = Graph().parse(data=COUNTED_SHAPES, format="turtle")
    data = Graph().parse(data=COUNTED_DATA, format="turtle")
    compiled = compile_shapes(shapes_graph)
    assert compiled is not None
    found = {(str(r.focus), r.message, str(r.check.component)) for r in run(compiled, data)}
    _, reference, _ = shacl_validate(data, shacl_graph=shapes_graph, inference="none")
    expected = {
        tuple(
            str(reference.value(r, t))
            for t in (SH.focusNode, SH.resultMessage, SH.sourceConstraintComponent)
        )
        for r in reference.subjects(RDF.type, SH.ValidationResult)
    }
    assert found == expected and len(found) == 6
