"""The W3C SPARQL 1.1 Service Description tests (``w3c/service-description``), over HTTP.

A GET on the endpoint without a query returns the service description. Each of the manifest's three
tests is one case, run against two real servers: one on the protocol tests' dataset and one on the
PSF release. The description is fetched once per server in each RDF format the endpoint offers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from .sparql_http import (
    GRAPH_FORMATS,
    W3C,
    fetch,
    local_name,
    manifest_entries,
    media_type,
    read_graph,
)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
#: The formats the endpoint offers its description in.
OFFERS = ("text/turtle", "application/ld+json", "application/rdf+xml")
LANGUAGES = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
TESTS = [
    local_name(t)
    for t in manifest_entries(Graph().parse(W3C / "service-description" / "manifest.ttl"))
]


@pytest.fixture(scope="module", params=["protocol-dataset", "psf-release"])
def endpoint(request: pytest.FixtureRequest) -> str:
    """The URL of a real server's endpoint."""
    if request.param == "psf-release":
        return f"{request.getfixturevalue('psf_server')}/sparql"
    return str(request.getfixturevalue("protocol_endpoint"))


@pytest.fixture(scope="module")
def answers(endpoint: str) -> dict[str, requests.Response]:
    """GET on the endpoint, once per offered format."""
    return {accept: fetch("GET", endpoint, headers={"Accept": accept}) for accept in OFFERS}


def returns_rdf(endpoint: str, answers: dict[str, requests.Response]) -> None:
    """Each answer is RDF in the format asked for, and all say the same."""
    graphs = []
    for accept, response in answers.items():
        assert response.status_code == 200, (
            f"{accept}: {response.status_code} {response.text[:300]}"
        )
        assert media_type(response) == accept
        graphs.append(read_graph(response, GRAPH_FORMATS))
    assert len(graphs[0]) > 0
    assert all(isomorphic(g, graphs[0]) for g in graphs[1:])


def has_endpoint_triple(endpoint: str, answers: dict[str, requests.Response]) -> None:
    """``?service sd:endpoint <the URL requested>``."""
    for response in answers.values():
        assert (None, SD.endpoint, URIRef(endpoint)) in read_graph(response)


def _problems(g: Graph) -> Iterator[str]:
    """How a description departs from the Service Description vocabulary."""

    def objects(node: Node, predicate: URIRef) -> list[Node]:
        return list(g.objects(node, predicate))

    services = list(g.subjects(RDF.type, SD.Service))
    if len(services) != 1:
        yield f"{len(services)} sd:Service"
    for service in services:
        endpoints = objects(service, SD.endpoint)
        if not endpoints or not all(isinstance(e, URIRef) for e in endpoints):
            yield f"sd:endpoint is {endpoints}"
        languages = set(objects(service, SD.supportedLanguage))
        if SD.SPARQL11Query not in languages or not languages <= LANGUAGES:
            yield f"sd:supportedLanguage is {sorted(map(str, languages))}"
        result_formats = objects(service, SD.resultFormat)
        if not result_formats or not all(isinstance(f, URIRef) for f in result_formats):
            yield f"sd:resultFormat is {result_formats}"
        datasets = objects(service, SD.defaultDataset)
        if len(datasets) != 1:
            yield f"{len(datasets)} sd:defaultDataset"
        for dataset in datasets:
            if len(objects(dataset, SD.defaultGraph)) != 1:
                yield "the default dataset has no single sd:defaultGraph"
            for named in objects(dataset, SD.namedGraph):
                names = objects(named, SD.name)
                if len(names) != 1 or not isinstance(names[0], URIRef):
                    yield f"an sd:namedGraph has sd:name {names}"


def conforms_to_schema(endpoint: str, answers: dict[str, requests.Response]) -> None:
    """One sd:Service with an endpoint, SPARQL 1.1 Query, result formats and a default dataset
    with a default graph, whose named graphs each have one IRI as sd:name."""
    for accept, response in answers.items():
        assert list(_problems(read_graph(response))) == [], accept


CHECKS: dict[str, Callable[[str, dict[str, requests.Response]], None]] = {
    "returns-rdf": returns_rdf,
    "has-endpoint-triple": has_endpoint_triple,
    "conforms-to-schema": conforms_to_schema,
}


@pytest.mark.parametrize("test", TESTS)
def test_service_description(
    test: str, endpoint: str, answers: dict[str, requests.Response]
) -> None:
    CHECKS[test](endpoint, answers)


def test_every_test_of_the_manifest_has_a_check() -> None:
    assert sorted(TESTS) == sorted(CHECKS)
