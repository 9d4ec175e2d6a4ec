"""Real clients against the real server (gunicorn on 127.0.0.1): SPARQLWrapper, rdflib's
SPARQLStore, plain HTTP; and a runaway query stopped at its deadline while others are served."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from requests.structures import CaseInsensitiveDict
from SPARQLWrapper import CSV, JSON, TURTLE, SPARQLWrapper

from psfkg.query.runner import INLINE_CHARS

from .live import LONG_RUNAWAY, RUNAWAY, live_server
from .sparql_http import fetch

PSF = "https://w3id.org/psfkg/def#"


def wrapper(base: str, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_select_json(psf_server: str) -> None:
    query = f"SELECT ?p WHERE {{ ?p a <{PSF}Project> }}"
    result = wrapper(psf_server, query, JSON).queryAndConvert()
    assert len(result["results"]["bindings"]) == 28  # type: ignore[index]


def test_sparqlwrapper_csv_and_construct(psf_server: str) -> None:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{PSF}Organisation> }}"
    assert wrapper(psf_server, query, CSV).queryAndConvert().decode().split() == ["n", "171"]  # type: ignore[union-attr]
    construct = f"CONSTRUCT WHERE {{ ?c a <{PSF}Country> ; <{PSF}iso3166Alpha2> ?code }}"
    graph = Graph().parse(
        data=wrapper(psf_server, construct, TURTLE).queryAndConvert(), format="turtle"
    )  # type: ignore[arg-type]
    assert len(set(graph.subjects())) == 13


def test_rdflib_sparqlstore(psf_server: str) -> None:
    store = SPARQLStore(f"{psf_server}/sparql", returnFormat="json")
    rows = list(store.query(f"SELECT ?c WHERE {{ ?c <{PSF}iso3166Alpha2> 'SE' }}"))
    assert [str(r[0]) for r in rows] == ["https://w3id.org/psfkg/id/country/sweden"]  # type: ignore[index]
    graph = Graph(store=store)
    assert (URIRef("https://w3id.org/psfkg/id/country/sweden"), None, None) in graph


@pytest.fixture(scope="module")
def impatient_server(releases: Path) -> Iterator[str]:
    """The real server with a 1.5 s query timeout and two workers."""
    with live_server(releases=releases, env={"PSFKG_QUERY_TIMEOUT": "1.5"}) as base:
        yield base


#: The runaway query as the worker evaluates it itself, and padded to run in a query process.
RUNAWAYS = {"in-worker": RUNAWAY, "in-query-process": LONG_RUNAWAY}


@pytest.mark.parametrize("query", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_runaway_query_gets_503_at_its_deadline_while_others_are_served(
    impatient_server: str, query: str
) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        answer = fetch("GET", f"{impatient_server}/sparql?query={urllib.parse.quote(query)}")
        outcome["status"], outcome["headers"] = answer.status_code, answer.headers
        outcome["body"] = answer.content
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    for _ in range(5):
        answer = fetch("GET", f"{impatient_server}/sparql?query=ASK%7B%7D")
        assert (answer.status_code, answer.content) == (200, b'{"head": {}, "boolean": true}')
    thread.join()
    assert outcome["status"] == 503
    headers: CaseInsensitiveDict[str] = outcome["headers"]  # type: ignore[assignment]
    assert headers["Retry-After"] and headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("text/plain")
    assert b"query timed out" in outcome["body"]  # type: ignore[operator]
    assert 1.4 < outcome["seconds"] < 5  # type: ignore[operator]
    assert fetch("GET", f"{impatient_server}/-/health").status_code == 200


#: A query that needs no data and half a GiB: a string doubled 29 times.
DOUBLING = (
    'SELECT (STRLEN(?x29) AS ?n) WHERE { BIND("a" AS ?x0) '
    + " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(29))
    + " }"
)


@pytest.fixture(scope="module")
def frugal_server(releases: Path) -> Iterator[str]:
    """The real server with a memory bound of 128 MiB per query."""
    with live_server(releases=releases, env={"PSFKG_QUERY_MEMORY": str(128 << 20)}) as base:
        yield base


@pytest.mark.parametrize(
    "query", [DOUBLING, "#" + "x" * INLINE_CHARS + "\n" + DOUBLING], ids=["in-worker", "in-child"]
)
def test_a_query_that_needs_too_much_memory_gets_503_and_others_go_on(
    frugal_server: str, query: str
) -> None:
    started = time.monotonic()
    answer = fetch("GET", f"{frugal_server}/sparql?query={urllib.parse.quote(query)}")
    assert answer.status_code == 503, answer.content
    assert b"needed more than 128 MiB" in answer.content
    assert answer.headers["Cache-Control"] == "no-store"
    assert time.monotonic() - started < 20
    for _ in range(3):
        ok = fetch("GET", f"{frugal_server}/sparql?query=ASK%7B%7D")
        assert (ok.status_code, ok.content) == (200, b'{"head": {}, "boolean": true}')
