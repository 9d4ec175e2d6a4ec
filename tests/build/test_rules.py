"""The compiled OWL RL rules give exactly owlrl's inferred graph, and fall back where they must."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from psfkg.build.mapping import map_records, ontology
from psfkg.build.pipeline import Checked
from psfkg.build.reasoning import infer
from psfkg.build.records import load
from psfkg.build.rules import compile_rules
from psfkg.errors import ReasoningClash
from psfkg.namespaces import ID, PSF
from psfkg.sources import synth


def test_same_inferred_graph_as_owlrl_on_the_psf_data(checked: Checked) -> None:
    reference = infer(checked.ontology, checked.asserted, engine="owlrl")
    assert set(infer(checked.ontology, checked.asserted, engine="rules")) == set(reference)
    assert set(checked.inferred) == set(reference)


def test_same_inferred_graph_as_owlrl_on_400_synthetic_projects(tmp_path: Path) -> None:
    synth.write(tmp_path / "data", projects=400, seed=7)
    asserted = map_records(load(tmp_path / "data")).graph
    onto = ontology()
    fast = infer(onto, asserted, engine="rules")
    assert len(fast) > 40_000
    assert set(fast) == set(infer(onto, asserted, engine="owlrl"))


@pytest.mark.parametrize("engine", ["rules", "owlrl"])
def test_both_engines_find_a_clash(checked: Checked, engine: str) -> None:
    broken = checked.asserted + Graph()
    broken.add((ID["project/jatoc"], RDF.type, PSF.Country))
    with pytest.raises(ReasoningClash, match="jatoc"):
        infer(checked.ontology, broken, engine=engine)


def test_a_functional_property_with_two_values_goes_to_owlrl(checked: Checked) -> None:
    data = checked.asserted + Graph()
    part = ID["participation/jatoc--finnish-border-guard"]
    data.add((part, PSF.participant, ID["organisation/lund-university"]))
    inferred = infer(checked.ontology, data)
    assert (
        ID["organisation/lund-university"],
        OWL.sameAs,
        ID["organisation/finnish-border-guard"],
    ) in inferred or (
        ID["organisation/finnish-border-guard"],
        OWL.sameAs,
        ID["organisation/lund-university"],
    ) in inferred


def test_an_ontology_with_class_expressions_is_not_compiled() -> None:
    onto = ontology()
    restriction = URIRef("urn:x")
    onto.add((restriction, RDF.type, OWL.Restriction))
    onto.add((restriction, OWL.someValuesFrom, PSF.Project))
    assert compile_rules(onto) is None
    assert compile_rules(ontology()) is not None


@pytest.mark.parametrize(
    "axiom",
    [(RDF.type, RDFS.domain, PSF.Project), (URIRef("urn:isA"), RDFS.subPropertyOf, RDF.type)],
)
def test_an_ontology_with_axioms_about_rdf_type_is_not_compiled(axiom: tuple[URIRef, ...]) -> None:
    onto = ontology()
    onto.add(axiom)
    assert compile_rules(onto) is None
