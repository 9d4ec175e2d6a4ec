"""The W3C SPARQL 1.1 Protocol tests (``w3c/protocol``), run against the real server over HTTP.

Each test of ``manifest.ttl`` is one case, with its W3C name as its id (``TESTS.txt`` summarises
them). Requests are sent as the manifest writes them, but for the path: the manifest's ``/sparql/``
stands for the endpoint, which a runner must replace, and psfkg's endpoint is ``/sparql`` (no
trailing slash). The dataset is ``dataset.trig``: the graphs data1.rdf, data2.rdf and data3.rdf
that the tests name, as named graphs, and an empty default graph.

The update tests (``update_*``) expect a write to succeed. The endpoint is read-only, so their
update request must be refused with 403, and the ASK requests that would check the write are not
sent. The bad-update tests expect 4xx and pass as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests
from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node

from .sparql_http import (
    BOOLEAN_FORMATS,
    GRAPH_FORMATS,
    MF,
    RESULT_FORMATS,
    W3C,
    fetch,
    local_name,
    manifest_entries,
    read_graph,
    read_results,
)

PROTOCOL = W3C / "protocol"
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
#: The manifest's path for the endpoint, which a runner replaces with its own.
MANIFEST_PATH = "/sparql/"
#: What each expected format may come as. "RDF" is RDF/XML, Turtle or N-Triples (or RDFa, which
#: psfkg does not write).
FORMATS = {
    "boolean": BOOLEAN_FORMATS,
    "tabular": RESULT_FORMATS,
    "RDF": {k: v for k, v in GRAPH_FORMATS.items() if k != "application/ld+json"},
}


@dataclass(frozen=True)
class Step:
    """One HTTP request of a test, and what its answer must be."""

    method: str
    #: The part of the manifest's path after the endpoint: ``?query=...`` or nothing.
    query_string: str
    headers: dict[str, str]
    body: bytes | None
    #: The status classes allowed, such as ``{2, 3}`` for 2xx or 3xx.
    statuses: frozenset[int]
    format: str | None
    boolean: bool | None

    def send(self, endpoint: str) -> requests.Response:
        """Send this request to ``endpoint``."""
        return fetch(
            self.method, endpoint + self.query_string, headers=self.headers, data=self.body
        )


@dataclass(frozen=True)
class ProtocolTest:
    """A manifest test: its name and its requests, in order."""

    name: str
    steps: tuple[Step, ...]


def _text(manifest: Graph, node: Node | None, predicate: Node) -> str | None:
    value = manifest.value(node, predicate)
    return None if value is None else str(value)


def _body(manifest: Graph, request: Node) -> bytes | None:
    body = manifest.value(request, HT.body)
    if body is None:
        return None
    return str(manifest.value(body, CNT.chars)).encode(
        str(manifest.value(body, CNT.characterEncoding))
    )


def _step(manifest: Graph, request: Node) -> Step:
    path = _text(manifest, request, HT.absolutePath) or ""
    assert path.startswith(MANIFEST_PATH), path
    fields = Collection(manifest, manifest.value(request, HT.headers) or RDF.nil)
    response = manifest.value(request, HT.resp)
    expected = manifest.value(response, MF.expectedBoolean)
    return Step(
        method=_text(manifest, request, HT.methodName) or "",
        query_string=path.removeprefix(MANIFEST_PATH),
        headers={
            str(manifest.value(f, HT.fieldName)): str(manifest.value(f, HT.fieldValue))
            for f in fields
        },
        body=_body(manifest, request),
        # hts:StatusCode2xx -> 2
        statuses=frozenset(int(str(s)[-3]) for s in manifest.objects(response, MF.expectedStatus)),
        format=_text(manifest, response, MF.expectedFormat),
        boolean=expected.toPython() if isinstance(expected, Literal) else None,
    )


def _tests(manifest: Graph) -> list[ProtocolTest]:
    tests = []
    for test in manifest_entries(manifest):
        chain = manifest.value(manifest.value(test, MF.action), HT.requests) or RDF.nil
        steps = tuple(_step(manifest, request) for request in Collection(manifest, chain))
        tests.append(ProtocolTest(local_name(test), steps))
    return tests


MANIFEST = Graph().parse(PROTOCOL / "manifest.ttl")
TESTS = _tests(MANIFEST)


@pytest.fixture(scope="module")
def endpoint(protocol_endpoint: str) -> str:
    """The real server on the protocol tests' dataset."""
    return protocol_endpoint


def check(response: requests.Response, step: Step) -> None:
    """The answer has a status of an allowed class and, if the test names one, the right format."""
    shown = (
        f"{step.method} {step.query_string[:80]} -> {response.status_code}: {response.text[:300]}"
    )
    assert response.status_code // 100 in step.statuses, shown
    if step.format is None:
        return
    formats = FORMATS[step.format]
    if step.format == "RDF":
        read_graph(response, formats)
        return
    result = read_results(response, formats)
    assert result.type == ("ASK" if step.format == "boolean" else "SELECT"), shown
    if step.boolean is not None:
        assert result.askAnswer is step.boolean, shown


@pytest.mark.parametrize("test", TESTS, ids=[test.name for test in TESTS])
def test_protocol(endpoint: str, test: ProtocolTest) -> None:
    if test.name.startswith("update_"):
        refused = test.steps[0].send(endpoint)
        assert refused.status_code == 403, f"{refused.status_code}: {refused.text[:300]}"
        return
    for step in test.steps:
        check(step.send(endpoint), step)


def test_every_test_of_the_summary_is_run() -> None:
    summary = (PROTOCOL / "TESTS.txt").read_text(encoding="utf-8")
    listed = re.findall(r"^(\w+)  \[", summary, re.MULTILINE)
    assert listed == [test.name for test in TESTS]
    assert len(TESTS) == 34


def test_the_dataset_holds_the_graphs_the_tests_name() -> None:
    """dataset.trig is the manifest's ut:graphData: each file as the named graph of its label."""
    dataset = Dataset().parse(PROTOCOL / "dataset.trig", format="trig")
    named = {
        (str(MANIFEST.value(data, RDFS.label)), str(MANIFEST.value(data, UT.graph)))
        for data in MANIFEST.objects(None, UT.graphData)
    }
    default = dataset.default_graph
    assert len(default) == 0
    graphs = {str(g.identifier) for g in dataset.graphs() if g.identifier != default.identifier}
    assert graphs == {name for name, _ in named}
    for name, file in named:
        assert isomorphic(dataset.graph(URIRef(name)), Graph().parse(file, format="nt"))
