"""The W3C conformance runners' client side: the real endpoint, HTTP, and reading its answers.

One place for where the W3C test files are, how a runner starts the endpoint and sends it a
request, and how an answer is read back by its Content-Type: as SPARQL results or as an RDF graph,
both with rdflib.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import Namespace
from rdflib.query import Result

from .live import live_server

#: The W3C test files (see w3c/SOURCE.md).
W3C = Path(__file__).parent / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")

#: SPARQL results media types and their rdflib result parsers.
RESULT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
#: The two results formats that carry a boolean (an ASK answer).
BOOLEAN_FORMATS = {k: RESULT_FORMATS[k] for k in list(RESULT_FORMATS)[:2]}
#: RDF graph media types and their rdflib parsers.
GRAPH_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
TIMEOUT = 60


@contextmanager
def sparql_endpoint(files: Sequence[Path]) -> Iterator[str]:
    """Serve ``files`` with the real server (gunicorn); yield its endpoint's URL (``/sparql``)."""
    with live_server(files=files) as base:
        yield f"{base}/sparql"


def fetch(method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send one request (a session of its own, closed on return) and read the whole answer."""
    return requests.request(method, url, timeout=TIMEOUT, **kwargs)


def media_type(response: requests.Response) -> str:
    """The answer's media type, without parameters."""
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def read_results(
    response: requests.Response, formats: Mapping[str, str] = RESULT_FORMATS
) -> Result:
    """Parse an answer as SPARQL results; its media type must be one of ``formats``."""
    kind = media_type(response)
    assert kind in formats, f"results came as {kind!r}, not one of {sorted(formats)}"
    return Result.parse(io.BytesIO(response.content), format=formats[kind])


def read_graph(response: requests.Response, formats: Mapping[str, str] = GRAPH_FORMATS) -> Graph:
    """Parse an answer as an RDF graph; its media type must be one of ``formats``."""
    kind = media_type(response)
    assert kind in formats, f"a graph came as {kind!r}, not one of {sorted(formats)}"
    return Graph().parse(data=response.content, format=formats[kind], publicID=response.url)


def manifest_entries(manifest: Graph) -> list[URIRef]:
    """The tests a W3C manifest lists (``mf:entries``), in order."""
    (head,) = manifest.objects(None, MF.entries)
    return [URIRef(str(entry)) for entry in Collection(manifest, head)]


def local_name(iri: str) -> str:
    """A test's name: its IRI's fragment."""
    return iri.rpartition("#")[2]
