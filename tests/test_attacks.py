"""What a public SPARQL service is attacked with, one regression test each. (Also covered
elsewhere: FROM <file:...> and SERVICE refusals and the 413s in tests/web/test_sparql.py, path
traversal under /dumps in tests/web/test_dumps.py, named-query injection in
tests/test_named_queries.py.)"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from psfkg.errors import PsfkgError
from psfkg.query.runner import INLINE_CHARS
from psfkg.query.store import EmbeddedStore

from .conftest import DATA, build, client_for
from .live import live_server
from .sparql_http import fetch


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A real socket on 127.0.0.1 that records whatever connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    seen.append(connection.recv(1000))
                except OSError:
                    seen.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/", seen
    stop.set()
    thread.join()
    server.close()


def test_service_to_loopback_is_refused_and_never_contacted(
    client: FlaskClient, listener: tuple[str, list[bytes]]
) -> None:
    url, seen = listener
    for query in (
        f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <{url}> SELECT * {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
    ):
        response = client.post("/sparql", data={"query": query})
        assert response.status_code == 400 and b"SERVICE is not allowed" in response.data
    time.sleep(0.3)
    assert seen == []


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <file:///etc/passwd>",
        "LOAD <http://127.0.0.1:9/x> INTO GRAPH <g>",
        "DROP ALL",
        "CLEAR DEFAULT",
        "INSERT DATA { <https://w3id.org/psfkg/id/project/x> <p> 1 }",
    ],
)
def test_load_and_update_are_refused(client: FlaskClient, update: str) -> None:
    for response in (
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", data=update, content_type="application/sparql-update"),
        client.post("/sparql", data={"query": update}),
    ):
        assert response.status_code == 403
    count = client.get(
        "/sparql?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    )
    assert b'"7' in count.data  # the dataset is unchanged (7,3xx triples)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY ext SYSTEM "file:///etc/passwd">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e.org/">
 <rdf:Description rdf:about="http://e.org/x"><e:laugh>&g;</e:laugh><e:file>&ext;</e:file></rdf:Description>
</rdf:RDF>
"""


def test_rdf_xml_declaring_entities_is_refused(tmp_path: Path) -> None:
    """Billion laughs and external entities: the file is refused before the parser sees it."""
    path = tmp_path / "laughs.rdf"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(PsfkgError, match=r"laughs\.rdf: RDF/XML whose DTD declares entities"):
        EmbeddedStore.from_files([path])
    plain = tmp_path / "plain.rdf"
    plain.write_text(
        BILLION_LAUGHS.split("<!DOCTYPE")[0]
        + BILLION_LAUGHS.split("]>", 1)[1].replace("&g;", "ha").replace("&ext;", "none")
    )
    assert len(EmbeddedStore.from_files([plain])) == 2


def test_json_ld_with_a_remote_context_is_never_fetched(
    tmp_path: Path, listener: tuple[str, list[bytes]]
) -> None:
    url, seen = listener
    path = tmp_path / "remote.jsonld"
    document = {"@context": f"{url}context.jsonld", "@id": "http://e.org/x", "name": "x"}
    path.write_text(json.dumps(document))
    with pytest.raises(PsfkgError, match=r"remote\.jsonld"):
        EmbeddedStore.from_files([path])
    time.sleep(0.3)
    assert seen == []


def test_oversized_headers_are_refused_by_the_real_server(psf_server: str) -> None:
    host, port = urllib.parse.urlsplit(psf_server).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/sparql?query=ASK%7B%7D", headers={"X-Big": "x" * 20_000})
    response = connection.getresponse()
    assert response.status in (400, 431)
    response.read()
    connection.close()
    long_url = http.client.HTTPConnection(host, int(port), timeout=10)
    long_url.request("GET", "/sparql?query=" + "A" * 20_000)
    response = long_url.getresponse()
    assert response.status in (400, 414)
    response.read()
    long_url.close()


def test_html_injection_through_data_values_is_escaped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "organisations.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "lund-university,Lund University,",
            'lund-university,"<script>alert(1)</script><a href=""javascript:x"">",',
        ),
        encoding="utf-8",
    )
    releases = tmp_path / "releases"
    build(data, releases)
    client = client_for(releases)
    for page in (
        "/id/organisation/lund-university",
        "/browse/organisations",
        "/id/country/sweden",
        "/queries/top-organisations",
        "/id/project/ageing-workforce-social-cohesion-and-sustainable-development",
    ):
        html = client.get(page).data.decode()
        assert "<script>alert(1)</script>" not in html and 'href="javascript:' not in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in client.get("/id/organisation/lund-university").data.decode()
    )


def test_javascript_iris_in_results_never_become_links(client: FlaskClient) -> None:
    query = 'SELECT ?x { BIND(IRI("javascript:alert(1)") AS ?x) }'
    html = client.get("/query?query=" + urllib.parse.quote(query)).data.decode()
    assert "javascript:alert(1)" in html and 'href="javascript:' not in html


def test_slow_clients_cannot_hold_the_workers(releases: Path) -> None:
    """More half-sent requests than workers, held open: others are still served."""
    env = {"PSFKG_CLIENT_TIMEOUT": "1"}
    with live_server(releases=releases, workers=2, env=env) as base:
        host, port = urllib.parse.urlsplit(base).netloc.split(":")
        slow = []
        for _ in range(4):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(
                b"GET /-/health HTTP/1.1\r\nHost: x\r\n"
            )  # and never the end of the headers
            slow.append(sock)
        try:
            started = time.monotonic()
            connection = http.client.HTTPConnection(host, int(port), timeout=15)
            connection.request("GET", "/sparql?query=ASK%7B%7D")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            connection.close()
            assert time.monotonic() - started < 10
        finally:
            for sock in slow:
                sock.close()


@pytest.mark.parametrize(
    "query",
    [
        # Flat, under the size cap and the nesting cap, yet each overflows pyoxigraph's stack:
        "SELECT * { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * 3100 + "}",
        "SELECT (" + "+".join(["1"] * 30_000) + " AS ?x) {}",
    ],
    ids=["3100 MINUS", "30000 additions"],
)
def test_a_query_that_crashes_the_evaluator_is_a_400_and_the_server_goes_on(
    psf_server: str, query: str
) -> None:
    host, port = urllib.parse.urlsplit(psf_server).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request(
        "POST", "/sparql", query.encode(), {"Content-Type": "application/sparql-query"}
    )
    response = connection.getresponse()
    assert (response.status, b"too complex" in response.read()) == (400, True)
    connection.request("GET", "/sparql?query=ASK%7B%7D", headers={"Accept": "application/json"})
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["boolean"]) == (200, True)
    connection.close()


def _filled(head: str, unit: str, tail: str) -> str:
    """``head``, then ``unit`` as often as fits, then ``tail``: a query of INLINE_CHARS."""
    return head + unit * ((INLINE_CHARS - len(head) - len(tail)) // len(unit)) + tail


@pytest.mark.parametrize(
    "query",
    [
        _filled("SELECT (1", "+1", " AS ?x) {}"),
        _filled("SELECT * { ?s ?p ?o ", "MINUS{?s ?p 1}", "}"),
    ],
    ids=["additions", "MINUS"],
)
def test_the_flattest_queries_a_worker_evaluates_itself_are_far_from_its_stack_limit(
    psf_server: str, query: str
) -> None:
    # About 7,000 additions (14,000 characters) overflow 8 MiB of stack; a worker evaluates
    # queries of up to INLINE_CHARS (1,024) itself. (Chains of ! or - count as nesting: capped.)
    assert len(query) <= INLINE_CHARS
    headers = {"Content-Type": "application/sparql-query"}
    response = fetch("POST", f"{psf_server}/sparql", data=query.encode(), headers=headers)
    assert response.status_code == 200, response.text
