"""The DCAT-AP catalogue and the VoID description of a real build of the PSF data."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import OWL, RDF, RDFS, SH, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, SKOS
from rdflib.term import Node

from psfkg.build import catalog
from psfkg.build import dumps as writers
from psfkg.build.catalog import dumps
from psfkg.build.ranges import DCAT, SPDX, typed
from psfkg.namespaces import EU_COUNTRY, PREFIXES, PSF
from psfkg.release import MANIFEST, latest

from ..conftest import DATA

SHAPES = Path(__file__).parents[1] / "dcat-ap"
SITE = "http://127.0.0.1:8000/"
VOID = Namespace("http://rdfs.org/ns/void#")


@dataclass(frozen=True)
class Release:
    """A built release: its folder, manifest and dataset."""

    path: Path
    manifest: dict[str, Any]
    data: dict[URIRef, Graph]

    def iri(self, path: str) -> URIRef:
        """An IRI under the release's base."""
        return URIRef(self.manifest["base_iri"] + path)


@pytest.fixture(scope="module")
def release(releases: Path) -> Release:
    path = latest(releases)
    assert path is not None
    dataset = Dataset()
    dataset.parse(path / "psfkg.nq", format="nquads")
    data = {URIRef(g.identifier): g for g in dataset.graphs() if len(g)}
    return Release(path, json.loads((path / MANIFEST).read_text()), data)


@pytest.fixture(scope="module")
def dcat(release: Release) -> Graph:
    return catalog.dcat(release.manifest, release.data, site=SITE)


@pytest.fixture(scope="module")
def void(release: Release) -> Graph:
    base = release.manifest["base_iri"]
    stats = writers.statistics(release.path / "psfkg.nq", base)
    return catalog.void(release.manifest, stats, site=SITE)


#: What a harvester validating in full mode reads the catalogue against (see SOURCE.md).
FULL = ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl", "deprecateduris.ttl")
RECOMMENDED = ("shapes_recommended.ttl", "deprecateduris.ttl")


def shacl_results(graph: Graph, *shapes: str) -> list[tuple[Node, Node, Node]]:
    """(severity, focus node's class, path) of each result of validating against DCAT-AP files:
    the report's results, not the details nested in them."""
    shacl = Graph()
    for name in shapes:
        shacl.parse(SHAPES / name, format="turtle")
    _, report, _ = validate(graph, shacl_graph=shacl, inference="none")
    assert isinstance(report, Graph)
    # A focus node's class is its first by IRI: a release is a dcat:Dataset and, being its own
    # landing page, a foaf:Document too.
    return sorted(
        (
            report.value(r, SH.resultSeverity),
            min(graph.objects(report.value(r, SH.focusNode), RDF.type), default=None),
            report.value(r, SH.resultPath),
        )
        for r in report.objects(None, SH.result)
    )


def full_results(graph: Graph, datasets: int) -> list[tuple[Node, Node, Node]]:
    """What is left of validating a catalogue with ``datasets`` datasets (its versions too)
    against :data:`FULL`: asserted as the results SOURCE.md explains, nothing else. The one
    violation per checksum is the shape's pattern ``^https://spdx.org/rdf/terms``, which no SPDX
    term matches; the publisher is not in the EU corporate-bodies table."""
    results = shacl_results(graph, *FULL)
    checksums = len(set(graph.subjects(RDF.type, SPDX.Checksum)))
    assert checksums == 8 * datasets
    publisher = [DCAT.Catalog, DCAT.DataService, *[DCAT.Dataset] * datasets]
    assert results == sorted(
        [(SH.Violation, SPDX.Checksum, SPDX.algorithm)] * checksums
        + [(SH.Warning, cls, DCTERMS.publisher) for cls in publisher]
    )
    return results


def recommended_results(graph: Graph) -> list[tuple[Node, Node, Node]]:
    """The recommendations a catalogue misses: the publisher's ADMS type, and each country's
    bounding box and centroid, facts that psfkg's sources do not state (see SOURCE.md)."""
    results = shacl_results(graph, *RECOMMENDED)
    countries = len(set(graph.subjects(RDF.type, DCTERMS.Location)))
    assert countries == 13
    assert results == sorted(
        [(SH.Warning, FOAF.Agent, DCTERMS.type)]
        + [(SH.Warning, DCTERMS.Location, DCAT.bbox)] * countries
        + [(SH.Warning, DCTERMS.Location, DCAT.centroid)] * countries
    )
    return results


def number(graph: Graph, s: Node, p: Node) -> int:
    value = graph.value(s, p)
    assert isinstance(value, Literal)
    return int(value)


def test_the_catalogue_conforms_to_dcat_ap(dcat: Graph) -> None:
    assert shacl_results(dcat, "shapes.ttl") == []


def test_the_catalogue_conforms_to_all_of_dcat_ap_but_one_shapes_bug(dcat: Graph) -> None:
    assert len(full_results(dcat, datasets=1)) == 8 + 3
    for shapes in FULL:
        violations = [r for r in shacl_results(dcat, shapes) if r[0] == SH.Violation]
        assert len(violations) == (8 if shapes == "mdr-vocabularies.shape.ttl" else 0), shapes


def test_the_recommendations_missed_are_facts_no_source_states(dcat: Graph) -> None:
    # An ADMS publisher type (dct:type) would be a fact about who publishes psfkg, which the
    # project does not state, and coordinates of the countries are in no source either; every
    # other recommended property is there.
    assert len(recommended_results(dcat)) == 1 + 2 * 13


def test_what_the_catalogue_refers_to_is_typed_in_the_catalogue(
    release: Release, dcat: Graph
) -> None:
    publisher = release.iri("publisher")
    assert set(dcat.objects(None, DCTERMS.publisher)) == {publisher}
    assert dcat.value(publisher, RDF.type) == FOAF.Agent
    assert dcat.value(publisher, FOAF.name) == Literal("psfkg")
    licence, open_licence = URIRef(catalog.CC_BY_4), URIRef(catalog.CC0)
    attribution = URIRef("http://purl.org/adms/licencetype/Attribution")
    assert dcat.value(licence, RDF.type) == DCTERMS.LicenseDocument
    assert dcat.value(licence, DCTERMS.type) == attribution
    assert str(dcat.value(open_licence, DCTERMS.type)).endswith("/PublicDomain")
    assert dcat.value(attribution, SKOS.prefLabel) == Literal("Attribution", lang="en")
    assert dcat.value(attribution, SKOS.inScheme) == URIRef("http://purl.org/adms/licencetype/1.0")
    theme = catalog.EU["data-theme/INTR"]
    assert dcat.value(theme, SKOS.prefLabel) == Literal("International issues", lang="en")
    assert dcat.value(theme, SKOS.inScheme) == catalog.EU["data-theme"]
    assert dcat.value(catalog.EU["data-theme"], DCTERMS.title) == Literal("Data theme", lang="en")
    sweden = EU_COUNTRY.SWE
    assert set(dcat.objects(sweden, RDF.type)) == {DCTERMS.Location}
    assert dcat.value(sweden, SKOS.inScheme) == catalog.EU.country
    gzip = catalog.IANA["application/gzip"]
    assert dcat.value(gzip, RDF.type) == DCTERMS.MediaType
    assert dcat.value(SPDX.checksumAlgorithm_sha256, RDF.type) == SPDX.ChecksumAlgorithm
    # Typing twice adds nothing.
    assert len(typed(Graph() + dcat)) == len(dcat)


def test_every_dump_and_its_gzip_twin_is_a_distribution(release: Release, dcat: Graph) -> None:
    data = ("psfkg.ttl", "psfkg.nt", "psfkg.jsonld", "psfkg.nq")
    assert set(dumps(release.manifest)) == {*data, *(f"{n}.gz" for n in data)}
    assert len(set(dcat.objects(release.iri("dataset"), DCAT.distribution))) == 8
    for name, entry in release.manifest["files"].items():
        dist = release.iri(f"dataset/distribution/{name}")
        if name not in dumps(release.manifest):  # the report, the context, the indexes, patches
            assert (dist, None, None) not in dcat
            continue
        url = URIRef(f"{SITE}dumps/{name}")
        assert dcat.value(dist, DCAT.downloadURL) == dcat.value(dist, DCAT.accessURL) == url
        assert dcat.value(dist, DCAT.byteSize) == Literal(
            entry["bytes"], datatype=XSD.nonNegativeInteger
        )
        checksum = dcat.value(dist, SPDX.checksum)
        assert dcat.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(dcat.value(checksum, SPDX.checksumValue)) == entry["sha256"]
        gzipped = dcat.value(dist, DCAT.compressFormat)
        assert (gzipped is not None) == name.endswith(".gz")
    twin = release.iri("dataset/distribution/psfkg.nq.gz")
    assert dcat.value(twin, DCAT.mediaType) == catalog.IANA["application/n-quads"]
    assert dcat.value(twin, DCTERMS["format"]) == catalog.EU["file-type/RDF_N_QUADS"]


def test_coverage_comes_from_the_data(release: Release, dcat: Graph) -> None:
    dataset = release.iri("dataset")
    with open(DATA / "countries.csv", newline="", encoding="utf-8") as fh:
        countries = {EU_COUNTRY[row["eu_country"]] for row in csv.DictReader(fh)}
    assert len(countries) == 13
    assert set(dcat.objects(dataset, DCTERMS.spatial)) == countries
    period = dcat.value(dataset, DCTERMS.temporal)
    assert dcat.value(period, DCAT.startDate) == Literal("2012-05-30", datatype=XSD.date)
    assert dcat.value(period, DCAT.endDate) == Literal("2022-02-24", datatype=XSD.date)
    # The dataset's own version, not the ontology's.
    assert dcat.value(dataset, DCAT.version) == Literal(release.manifest["dataset_version"])
    assert set(dcat.objects(dataset, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))) == {
        release.iri("source/cbss-psf-past-projects"),
        release.iri("source/cbss-baltinnosec-kickoff"),
    }


def test_licences(release: Release, dcat: Graph) -> None:
    dist = release.iri("dataset/distribution/psfkg.ttl")
    service = release.iri("sparql-service")
    assert dcat.value(release.iri("catalog"), DCTERMS.license) == URIRef(catalog.CC0)
    assert dcat.value(dist, DCTERMS.license) == URIRef(catalog.CC_BY_4)
    assert dcat.value(service, DCTERMS.license) == URIRef(catalog.CC_BY_4)
    unlicensed = catalog.dcat(release.manifest, release.data, site=SITE, license=None)
    assert (None, DCTERMS.license, URIRef(catalog.CC_BY_4)) not in unlicensed
    assert "cbss.org" in str(unlicensed.value(unlicensed.value(dist, DCTERMS.rights), RDFS.label))
    assert shacl_results(unlicensed, "shapes.ttl") == []


def test_the_data_service(release: Release, dcat: Graph) -> None:
    service = release.iri("sparql-service")
    assert dcat.value(service, DCAT.endpointURL) == URIRef(SITE + "sparql")
    assert dcat.value(service, DCAT.servesDataset) == release.iri("dataset")
    assert dcat.value(service, DCTERMS.conformsTo) == catalog.SPARQL_PROTOCOL


def test_void_counts_the_data(release: Release, void: Graph) -> None:
    dataset = release.iri("dataset")
    quads = (release.path / "psfkg.nq").read_text().splitlines()
    assert number(void, dataset, VOID.triples) == len(quads)
    records = {q.split(" ")[0] for q in quads if q.startswith(f"<{release.iri('id/')}")}
    assert number(void, dataset, VOID.entities) == len(records)
    classes = {
        void.value(p, VOID["class"]): number(void, p, VOID.entities)
        for p in void.objects(dataset, VOID.classPartition)
    }
    assert classes[PSF.Project] == 28
    assert classes[PSF.Country] == 13
    # A class whose only instance is a blank node is a class of the data too.
    assert classes[OWL.AllDisjointClasses] == 1
    assert number(void, dataset, VOID.classes) == len(classes)
    properties = {
        void.value(p, VOID.property): number(void, p, VOID.triples)
        for p in void.objects(dataset, VOID.propertyPartition)
    }
    assert sum(properties.values()) == len(quads)
    assert number(void, dataset, VOID.properties) == len(properties)
    for graph, count in release.manifest["triples"].items():
        assert number(void, URIRef(graph), VOID.triples) == count
    assert number(void, release.iri("dataset/linkset/wikidata"), VOID.triples) == 13
    assert number(void, release.iri("dataset/linkset/eu-country"), VOID.triples) == 13
    assert void.value(dataset, VOID.uriSpace) == Literal(release.manifest["base_iri"] + "id/")
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(SITE + "sparql")
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    used = ("psf", "schema", "org", "eurio", "foaf", "skos", "dcterms", "prov", "owl", "rdfs")
    assert {PREFIXES[p] for p in used} <= vocabularies
    assert release.iri("id/project/against-exploitation-of-children") in set(
        void.objects(dataset, VOID.exampleResource)
    )


@pytest.mark.parametrize("fmt", ["turtle", "xml", "json-ld"])
def test_both_round_trip(dcat: Graph, void: Graph, fmt: str) -> None:
    for graph in (dcat, void):
        assert isomorphic(Graph().parse(data=graph.serialize(format=fmt), format=fmt), graph)
