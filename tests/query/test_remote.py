"""A real Virtuoso behind psfkg: publishing, replicas over one store, and a store that goes down."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from psfkg.errors import QueryRejected, StoreUnavailable
from psfkg.query.remote import RemoteStore, publish
from psfkg.query.store import QueryRequest
from psfkg.release import latest

from ..conftest import client_for
from ..live import free_port, live_server
from ..sparql_http import fetch
from ..virtuoso import BINARY, Virtuoso, virtuoso

pytestmark = pytest.mark.skipif(BINARY is None, reason="virtuoso-t is not installed")
COUNT = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
JSON = "application/sparql-results+json"


def count(store: RemoteStore, query: str = COUNT) -> int:
    request = QueryRequest(query, JSON, union_default_graph="FROM" not in query)
    return int(json.loads(store.answer(request).body)["results"]["bindings"][0]["n"]["value"])


def test_publish_loads_every_graph(psf_virtuoso: Virtuoso, releases: Path) -> None:
    manifest = json.loads((latest(releases) / "manifest.json").read_text())  # type: ignore[operator]
    store = RemoteStore(psf_virtuoso.sparql, manifest["triples"], triples=0, timeout=30)
    assert count(store) == sum(
        manifest["triples"].values()
    )  # the union, without Virtuoso's own graphs
    for graph, triples in manifest["triples"].items():
        assert count(store, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> {{ ?s ?p ?o }}") == triples


def test_syntax_errors_read_as_on_the_embedded_store(psf_virtuoso: Virtuoso) -> None:
    store = RemoteStore(psf_virtuoso.sparql, [], triples=0, timeout=30)
    with pytest.raises(QueryRejected, match=r"syntax error at line 1, column \d+"):
        store.answer(QueryRequest("SELECT * { ?s ?p }", JSON))


def get(url: str) -> tuple[int, str, bytes]:
    answer = fetch("GET", url)
    return answer.status_code, answer.headers.get("ETag", ""), answer.content


def test_two_replicas_over_one_store_answer_alike(psf_virtuoso: Virtuoso, releases: Path) -> None:
    env = {"PSFKG_STORE": psf_virtuoso.sparql}
    query = urllib.parse.quote(
        "SELECT ?p WHERE { ?p a <https://w3id.org/psfkg/def#Project> } ORDER BY ?p"
    )
    with (
        live_server(releases=releases, env=env) as one,
        live_server(releases=releases, env=env) as two,
    ):
        answers = [get(f"{base}/sparql?query={query}") for base in (one, two) for _ in range(3)]
        pages = {get(f"{base}/id/project/jatoc.ttl")[0] for base in (one, two)}
    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, _, body in answers}) == 1
    assert len({etag for _, etag, _ in answers}) == 1
    assert len(json.loads(answers[0][2])["results"]["bindings"]) == 28
    assert pages == {200}


def test_a_store_that_goes_down_gives_503_and_serving_recovers(
    releases: Path, tmp_path: Path
) -> None:
    current = latest(releases)
    assert current is not None
    folder = tmp_path / "db"
    folder.mkdir()
    with virtuoso(folder) as running:
        publish(current / "psfkg.nq", running.gsp, user=running.user, password=running.password)
        ports = (int(urllib.parse.urlsplit(running.sparql).port or 0), 0)
    client = client_for(releases, {"PSFKG_STORE": running.sparql, "PSFKG_QUERY_TIMEOUT": "10"})
    down = client.get("/sparql?query=ASK%7B%7D")
    assert down.status_code == 503 and down.headers["Retry-After"]
    assert b"could not answer" in down.data
    with virtuoso(folder, ports=(ports[0], free_port())):
        up = client.get("/sparql?query=ASK%7B%7D")
        assert up.status_code == 200, up.data
    with pytest.raises(StoreUnavailable):
        RemoteStore(running.sparql, [], triples=0, timeout=5).answer(QueryRequest("ASK {}", JSON))
