"""SHACL: the built graph conforms; every shape has a passing and a failing example."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, SH, XSD, Graph, Literal, URIRef

from psfkg.build.mapping import ontology
from psfkg.build.pipeline import Checked
from psfkg.build.validation import SHAPES_DIR, shapes, validate
from psfkg.namespaces import ID, PSF

EXAMPLES = Path(__file__).parents[1] / "shapes"
SHAPES = sorted(shapes().subjects(RDF.type, SH.NodeShape))


def test_the_psf_graph_conforms(checked: Checked) -> None:
    assert checked.report.conforms, checked.report.text()
    assert checked.report.violations == []


def test_warnings_name_the_record_in_data(checked: Checked) -> None:
    texts = [str(w) for w in checked.report.warnings]
    assert (
        "Warning: funding-periods.csv:2 funding-period/psf-2013-2015: "
        "Stated and listed project counts: "
        "The source states 23 projects for this funding period but lists 18; both are published."
        in texts
    )


@pytest.mark.parametrize(
    ("file", "severity"), [("violations.ttl", SH.Violation), ("warnings.ttl", SH.Warning)]
)
def test_each_shape_has_label_severity_and_message(file: str, severity: URIRef) -> None:
    graph = Graph().parse(SHAPES_DIR / file)
    for shape in graph.subjects(RDF.type, SH.NodeShape):
        assert graph.value(shape, RDFS.label) is not None, shape
        assert graph.value(shape, SH.severity) == severity, shape
        for prop in graph.objects(shape, SH.property):
            assert graph.value(prop, SH.severity) == severity, shape
            assert graph.value(prop, SH.message) is not None, shape


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: str(s).rsplit("#", 1)[-1])
def test_shape_examples(shape: URIRef) -> None:
    name = str(shape).rsplit("#", 1)[-1]
    valid = Graph().parse(EXAMPLES / f"{name}.valid.ttl")
    assert validate(valid, ontology(), {}).findings == ()
    invalid_file = EXAMPLES / f"{name}.invalid.ttl"
    expect = next(
        ln.split(":", 1)[1].strip().strip("<>")
        for ln in invalid_file.read_text().splitlines()
        if ln.startswith("# expect:")
    )
    report = validate(Graph().parse(invalid_file), ontology(), {})
    label = str(shapes().value(shape, RDFS.label))
    assert any(f.focus == expect and f.rule == label for f in report.findings), report.text()


def test_meta_check_every_psf_term_used_is_declared(checked: Checked) -> None:
    data = checked.asserted + Graph()
    data.add((ID["project/jatoc"], PSF.budget, ID["project/jatoc"]))
    report = validate(data, checked.ontology, {})
    assert not report.conforms
    assert any(f.rule == "Declared terms" and f.focus == str(PSF.budget) for f in report.violations)


@pytest.mark.parametrize("subject", ["project/jatoc", "funding-period/psf-2016"])
def test_start_after_end_year_is_a_violation_not_a_crash(checked: Checked, subject: str) -> None:
    data = checked.asserted + Graph()
    node = ID[subject]
    data.remove((node, PSF.endYear, None))
    data.add((node, PSF.endYear, Literal("2000", datatype=XSD.gYear)))
    report = validate(data, checked.ontology, {})
    assert any(
        f.focus == str(node) and "is after the end year" in f.message for f in report.violations
    )
