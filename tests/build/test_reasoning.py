"""OWL 2 RL: queries in the aligned vocabularies get answers; clashes fail the build."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, Graph

from psfkg.build.mapping import ontology
from psfkg.build.pipeline import Checked
from psfkg.build.reasoning import infer
from psfkg.errors import ReasoningClash
from psfkg.namespaces import ID, PSF


def union(checked: Checked) -> Graph:
    return checked.ontology + checked.asserted + checked.inferred


def ask(graph: Graph, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in row) for row in graph.query(query))  # type: ignore[union-attr]


def test_schema_org_query_finds_the_projects(checked: Checked) -> None:
    rows = ask(union(checked), "SELECT ?p WHERE { ?p a <https://schema.org/Project> }")
    assert len(rows) == 28


def test_org_and_eurio_queries_reach_the_participants(checked: Checked) -> None:
    rows = ask(
        union(checked),
        """
        PREFIX org: <http://www.w3.org/ns/org#> PREFIX eurio: <http://data.europa.eu/s66#>
        SELECT DISTINCT ?org WHERE {
          <https://w3id.org/psfkg/id/project/jatoc> eurio:hasInvolvedParty ?r .
          ?r a org:Membership ; org:member ?org }""",
    )
    assert len(rows) == 8


def test_property_chain_gives_project_involves_country(checked: Checked) -> None:
    countries = set(checked.inferred.objects(ID["project/ngos-in-the-bsr"], PSF.involvesCountry))
    assert countries == {ID["country/sweden"], ID["country/germany"], ID["country/finland"]}


def test_inverse_property_lists_an_organisations_projects(checked: Checked) -> None:
    projects = set(checked.inferred.objects(ID["organisation/university-of-turku"], PSF.involvedIn))
    assert projects == {ID["project/the-future-of-the-eurofaculty"], ID["project/baltic-sea-ports"]}


def test_inferred_graph_is_apart_and_has_no_trivial_triples(checked: Checked) -> None:
    inferred = checked.inferred
    assert not set(inferred) & set(checked.asserted)
    assert not set(inferred) & set(checked.ontology)
    for s, p, o in inferred:
        assert not (p in (OWL.sameAs, RDFS.subClassOf, OWL.equivalentClass) and s == o)
        assert o not in (OWL.Thing, RDFS.Resource)
        assert str(s).startswith("https://w3id.org/psfkg/")


def test_a_clash_fails(checked: Checked) -> None:
    broken = checked.asserted + Graph()
    broken.add((ID["project/jatoc"], RDF.type, PSF.Organisation))
    with pytest.raises(ReasoningClash, match="jatoc"):
        infer(ontology(), broken)
