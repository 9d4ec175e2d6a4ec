"""Records to triples: IRIs, provenance, the ontology and its version."""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from psfkg import __version__
from psfkg.build.mapping import ONTOLOGY_FILE, ontology
from psfkg.build.pipeline import Checked
from psfkg.namespaces import ID, ONTOLOGY, ONTOLOGY_VERSION_IRI, PSF


def test_exactly_one_ontology_with_version_from_the_constant() -> None:
    graph = ontology()
    assert list(graph.subjects(RDF.type, OWL.Ontology)) == [ONTOLOGY]
    assert graph.value(ONTOLOGY, OWL.versionInfo) == Literal(__version__)
    assert graph.value(ONTOLOGY, OWL.versionIRI) == ONTOLOGY_VERSION_IRI
    assert str(ONTOLOGY_VERSION_IRI).endswith("/" + ".".join(__version__.split(".")[:2]))


def test_the_ontology_file_does_not_hard_code_a_version() -> None:
    raw = Graph().parse(ONTOLOGY_FILE, format="turtle")
    assert raw.value(ONTOLOGY, OWL.versionInfo) is None
    assert raw.value(ONTOLOGY, OWL.versionIRI) is None


def test_every_term_has_an_english_label_and_definition() -> None:
    graph = ontology()
    terms = {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and s.startswith(str(PSF))
    }
    assert len(terms) > 40
    for term in sorted(terms):
        assert any(lbl.language == "en" for lbl in graph.objects(term, RDFS.label)), term
        assert any(d.language == "en" for d in graph.objects(term, SKOS.definition)), term


def test_no_blank_nodes_in_the_asserted_graph(checked: Checked) -> None:
    assert not any(isinstance(term, BNode) for triple in checked.asserted for term in triple)


def test_every_record_links_to_the_line_it_came_from(checked: Checked) -> None:
    g = checked.asserted
    records = {s for s in g.subjects(RDF.type, None) if str(s).startswith(str(ID))}
    assert len(records) > 200
    for record in records:
        sources = list(g.objects(record, DCTERMS.source))
        assert sources and all("#line=" in str(s) for s in sources), record


def test_counts(checked: Checked) -> None:
    g = checked.asserted

    def count(cls: URIRef) -> int:
        return len(set(g.subjects(RDF.type, cls)))

    assert count(PSF.Project) == 28
    assert count(PSF.Participation) == 180
    assert count(PSF.Organisation) == 171
    assert count(PSF.Country) == 13
    assert count(PSF.PriorityArea) == 3
    assert count(PSF.FundingPeriod) == 3


def test_merged_organisation_keeps_every_spelling(checked: Checked) -> None:
    org = ID["organisation/saint-petersburg-state-university-of-economics"]
    labels = {str(x) for x in checked.asserted.objects(org, RDFS.label)}
    labels |= {str(x) for x in checked.asserted.objects(org, SKOS.altLabel)}
    assert labels == {
        "Saint Petersburg State University of Economics",
        "St. Petersburg State University of Economics",
    }
    projects = {
        checked.asserted.value(p, PSF.participationIn)
        for p in checked.asserted.subjects(PSF.participant, org)
    }
    assert projects == {
        ID["project/the-future-of-the-eurofaculty"],
        ID["project/smart-agriculture"],
    }


def test_remark_is_kept_as_data(checked: Checked) -> None:
    part = ID["participation/culinary-routes--mecklenburg-vorpommern-tourist-board"]
    assert str(checked.asserted.value(part, PSF.remark)) == "not funded by PSF"
    assert (
        str(checked.asserted.value(part, PSF.nameAsWritten))
        == "Mecklenburg-Vorpommern Tourist Board"
    )


def test_stated_and_listed_counts_are_both_published(checked: Checked) -> None:
    period = ID["funding-period/psf-2013-2015"]
    assert checked.asserted.value(period, PSF.statedProjectCount).toPython() == 23
    assert checked.asserted.value(period, PSF.listedProjectCount).toPython() == 18


def test_countries_link_to_wikidata_and_the_eu_authority(checked: Checked) -> None:
    sweden = ID["country/sweden"]
    assert checked.asserted.value(sweden, PSF.wikidata) == URIRef(
        "http://www.wikidata.org/entity/Q34"
    )
    assert checked.asserted.value(sweden, PSF.euAuthority) == URIRef(
        "http://publications.europa.eu/resource/authority/country/SWE"
    )
