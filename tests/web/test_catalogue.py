"""The catalogue, VoID, the data service and the dataset as pages: what they show is what their
RDF says, read back from the same answers."""

from __future__ import annotations

import html
import json
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, VOID

from psfkg.web import catalogue

PAGE = {"Accept": "text/html"}


def rdf(client: FlaskClient, path: str) -> Graph:
    return Graph().parse(
        data=client.get(path, headers={"Accept": "text/turtle"}).data, format="turtle"
    )


def text(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=PAGE)
    assert response.status_code == 200 and response.mimetype == "text/html"
    return html.unescape(response.get_data(as_text=True))


def test_the_catalogue_page_shows_each_distribution_its_licence_and_checksum(
    client: FlaskClient, release_dir: Path
) -> None:
    page = text(client, "/catalog")
    graph = rdf(client, "/catalog")
    catalog = next(graph.subjects(None, DCAT.Catalog))
    assert str(graph.value(catalog, DCTERMS.title)) in page
    assert str(graph.value(catalog, DCTERMS.license)) in page
    manifest = json.loads((release_dir / "manifest.json").read_text())
    dataset = graph.value(catalog, DCAT.dataset)
    # The dataset's own, at /dumps; each release (a version) has its own too, at /releases.
    distributions = set(graph.objects(dataset, DCAT.distribution))
    # Not distributions: context.jsonld and validation.ttl (each with its .gz), search.sqlite and
    # resources.sqlite.
    assert len(distributions) == len(manifest["files"]) - 6
    for dist in distributions:
        name = str(graph.value(dist, DCTERMS.title))
        assert f'href="{graph.value(dist, DCAT.downloadURL)}"' in page
        assert manifest["files"][name]["sha256"] in page
        assert str(graph.value(dist, DCTERMS.license)) in page
    assert "Data service: psfkg SPARQL endpoint" in page
    assert "The licence covers psfkg's own work" in page


def test_the_void_page_shows_the_graphs_classes_and_linksets(
    client: FlaskClient, release_dir: Path
) -> None:
    page = text(client, "/.well-known/void")
    graph = rdf(client, "/.well-known/void")
    manifest = json.loads((release_dir / "manifest.json").read_text())
    for name, count in manifest["triples"].items():
        assert name.rsplit("/", 1)[-1] in page and f">{count}<" in page.replace("</a>", "")
    for linkset in graph.subjects(None, VOID.Linkset):
        assert str(graph.value(linkset, VOID.triples)) in page
    assert "Classes, with how many resources each has" in page
    assert f">{graph.value(next(graph.subjects(VOID.subset, None)), VOID.triples)}<" in page


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/sparql-service", "Data service: psfkg SPARQL endpoint"),
        ("/dataset", "CBSS Project Support Facility knowledge graph"),
        ("/dataset/distribution/psfkg.ttl", "Distribution: psfkg.ttl"),
        ("/dataset/linkset/wikidata", "Linkset"),
        ("/publisher", "Agent: psfkg"),
    ],
)
def test_a_described_resource_has_a_readable_page(
    client: FlaskClient, path: str, heading: str
) -> None:
    page = text(client, path)
    assert heading in page[page.index("<h1>") : page.index("</h1>")]
    assert "Other formats" in page and 'type="text/turtle"' in page
    # Blank nodes are shown by what they hold, never by a store's label for them.
    assert "_:" not in page[page.index("<main") :]


def test_properties_are_named_in_words(app: Flask) -> None:
    assert catalogue.word(DCTERMS.license) == "licence"
    assert catalogue.word(DCAT.byteSize) == "bytes"
    assert catalogue.short(str(VOID.Linkset)) == "void:Linkset"
    assert catalogue.short("http://example.org/x") == "http://example.org/x"
    with app.test_request_context():
        unnamed = URIRef("http://www.w3.org/ns/dcat#spatialResolutionInMeters")
        assert catalogue.word(unnamed) == "dcat:spatialResolutionInMeters"


@pytest.mark.parametrize(
    "media_type", ["text/turtle", "application/rdf+xml", "application/ld+json"]
)
def test_the_served_catalogue_conforms_to_all_of_dcat_ap_through_the_real_server(
    psf_server: str, media_type: str
) -> None:
    """``/catalog`` as a harvester gets it from gunicorn, in each RDF format, validated against
    shapes + range + mdr-vocabularies + deprecated IRIs: only what SOURCE.md explains is left."""
    from ..build.test_catalog import full_results, recommended_results

    request = urllib.request.Request(psf_server + "/catalog", headers={"Accept": media_type})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and response.headers.get_content_type() == media_type
        graph = Graph().parse(data=response.read(), format=media_type)
    assert len(full_results(graph, datasets=2)) == 2 * 8 + 2 + 2
    assert len(recommended_results(graph)) == 1 + 2 * 13
    publisher = graph.value(next(graph.subjects(RDF.type, DCAT.Catalog)), DCTERMS.publisher)
    assert isinstance(publisher, URIRef) and str(publisher).endswith("/publisher")
    # The publisher's IRI is described where it is served, as the data service's is.
    request = urllib.request.Request(psf_server + "/publisher", headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        described = Graph().parse(data=response.read(), format="turtle")
    assert (publisher, RDF.type, FOAF.Agent) in described
    assert described.value(publisher, FOAF.name) == Literal("psfkg")
