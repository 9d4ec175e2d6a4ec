"""/sparql in-process: protocol, negotiation, caching, and the refusals of a public endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from rdflib import Graph

#: Counts projects: schema:Project, which reasoning adds to each psf:Project, under any base.
COUNT = "SELECT (COUNT(*) AS ?n) { ?s a <https://schema.org/Project> }"
QUERY_TYPE = "application/sparql-query"


def get(client: FlaskClient, query: str, **headers: str) -> object:
    return client.get(f"/sparql?query={quote(query)}", headers=headers)


def count(response: object) -> int:
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])  # type: ignore[attr-defined]


def test_get_post_form_and_post_direct_agree(client: FlaskClient) -> None:
    by_get = get(client, COUNT)
    by_form = client.post("/sparql", data={"query": COUNT})
    by_body = client.post("/sparql", data=COUNT, content_type=f"{QUERY_TYPE}; charset=UTF-8")
    assert [r.status_code for r in (by_get, by_form, by_body)] == [200, 200, 200]
    assert count(by_get) == count(by_form) == count(by_body) == 28


def test_unknown_parameters_are_ignored(client: FlaskClient) -> None:
    plain = client.get(f"/sparql?query={quote(COUNT)}")
    response = client.get(
        f"/sparql?query={quote(COUNT)}&output=xml&results=csv&callback=f&format=json"
    )
    assert response.status_code == 200
    assert response.data == plain.data and count(response) == 28
    assert response.headers["Content-Type"] == plain.headers["Content-Type"]
    assert response.headers["ETag"] == plain.headers["ETag"]


def test_query_without_the_inferred_graph(client: FlaskClient, base: str) -> None:
    query = COUNT
    assert count(get(client, query)) == 28
    asserted = f"default-graph-uri={base}graph/asserted"
    response = client.get(f"/sparql?query={quote(query)}&{asserted}")
    assert count(response) == 0


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_select_formats(client: FlaskClient, accept: str, media_type: str) -> None:
    response = get(client, COUNT, Accept=accept)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.mimetype == media_type  # type: ignore[attr-defined]
    assert "Accept" in response.headers["Vary"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_and_describe_formats(
    client: FlaskClient, base: str, accept: str, rdflib_format: str
) -> None:
    for query in (
        f"CONSTRUCT WHERE {{ <{base}id/project/jatoc> ?p ?o }}",
        f"DESCRIBE <{base}id/project/jatoc>",
    ):
        response = get(client, query, Accept=accept)
        assert response.status_code == 200, response.data  # type: ignore[attr-defined]
        assert response.mimetype == accept  # type: ignore[attr-defined]
        graph = Graph().parse(data=response.data, format=rdflib_format)  # type: ignore[attr-defined]
        assert len(graph) > 10


def test_format_parameter_overrides_accept_for_links(client: FlaskClient) -> None:
    response = client.get(
        f"/sparql?query={quote(COUNT)}&format=csv", headers={"Accept": "application/json"}
    )
    assert response.mimetype == "text/csv"
    assert response.data.decode().splitlines() == ["n", "28"]


def test_406_lists_what_is_offered(client: FlaskClient) -> None:
    response = get(client, "ASK {}", Accept="text/csv")
    assert response.status_code == 406  # type: ignore[attr-defined]
    assert b"application/sparql-results+json" in response.data  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("SELECT * { ?s ?p }", 400, b"syntax error at line 1, column "),
        ("SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", 400, b"SERVICE is not allowed"),
        ("SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", 400, b"file: IRIs"),
        ("SELECT * FROM <http://example.org/elsewhere> { ?s ?p ?o }", 400, b"not in this dataset"),
        (
            "SELECT * FROM NAMED <http://example.org/elsewhere> { ?s ?p ?o }",
            400,
            b"not in this dataset",
        ),
        ("ASK { " + "{" * 200 + "}" * 200 + " }", 400, b"nesting too deep"),
        ("INSERT DATA { <a> <b> <c> }", 403, b"read-only"),
    ],
)
def test_refusals(client: FlaskClient, query: str, status: int, message: bytes) -> None:
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == status
    assert message in response.data
    assert b"Traceback" not in response.data and b"/work/" not in response.data
    assert response.headers["Cache-Control"] == "no-store"


def test_from_a_graph_of_the_dataset_is_fine(
    client: FlaskClient, base: str, release_dir: Path
) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{base}graph/metadata> {{ ?s ?p ?o }}"
    manifest = json.loads((release_dir / "manifest.json").read_text())
    assert count(get(client, query)) == manifest["triples"][f"{base}graph/metadata"]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "update=CLEAR ALL", "content_type": "application/x-www-form-urlencoded"}, 403),
        ({"data": "CLEAR ALL", "content_type": "application/sparql-update"}, 403),
        ({"data": "ASK {}", "content_type": "text/plain"}, 415),
        ({"data": "ASK {}"}, 415),
        ({"data": "ASK {}".encode("utf-16"), "content_type": f"{QUERY_TYPE}; charset=UTF-16"}, 415),
        ({"data": b"ASK { \xff }", "content_type": QUERY_TYPE}, 400),
        (
            {
                "data": "query=ASK {}&query=ASK {}",
                "content_type": "application/x-www-form-urlencoded",
            },
            400,
        ),
        ({"data": ""}, 415),
    ],
)
def test_protocol_errors(client: FlaskClient, kwargs: dict[str, object], status: int) -> None:
    assert client.post("/sparql", **kwargs).status_code == status  # type: ignore[arg-type]


def test_other_methods_get_405(client: FlaskClient) -> None:
    response = client.put(f"/sparql?query={quote('ASK {}')}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST, HEAD"


def test_update_by_get_is_refused(client: FlaskClient) -> None:
    assert client.get("/sparql?update=CLEAR%20ALL").status_code == 403


def test_too_long_query_and_too_large_body_get_413(client: FlaskClient) -> None:
    long_query = "ASK {} #" + "x" * 70_000
    assert client.post("/sparql", data=long_query, content_type=QUERY_TYPE).status_code == 413
    assert client.post("/sparql", data={"query": long_query}).status_code == 413
    assert client.post("/sparql", data="x" * 2_000_000, content_type=QUERY_TYPE).status_code == 413


def test_etag_and_conditional_get(client: FlaskClient) -> None:
    first = get(client, COUNT)
    etag = first.headers["ETag"]  # type: ignore[attr-defined]
    again = get(client, COUNT, **{"If-None-Match": etag})
    assert again.status_code == 304  # type: ignore[attr-defined]
    other = get(client, COUNT, Accept="text/csv")
    assert other.headers["ETag"] != etag  # type: ignore[attr-defined]


def test_a_conditional_head_does_not_evaluate(client: FlaskClient) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    response = client.head(f"/sparql?query={quote(runaway)}", headers={"If-None-Match": "*"})
    assert time.monotonic() - started < 1
    assert response.status_code == 304
    assert response.headers["ETag"].startswith('W/"')
    assert response.data == b""


def test_cors_and_cache_headers(client: FlaskClient) -> None:
    response = get(client, COUNT, Origin="https://example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # type: ignore[attr-defined]
    assert "Access-Control-Allow-Credentials" not in response.headers  # type: ignore[attr-defined]
    assert "max-age" in response.headers["Cache-Control"]  # type: ignore[attr-defined]


def test_cors_preflight_for_a_direct_post(client: FlaskClient) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_row_cap_is_reported(client: FlaskClient, app: object) -> None:
    from psfkg.web.service import EXTENSION

    holder = app.extensions[EXTENSION]  # type: ignore[attr-defined]
    response = get(client, "SELECT * { ?s ?p ?o }")
    rows = int(response.headers["X-PSFKG-Rows"])  # type: ignore[attr-defined]
    triples = holder.current.release.default_graph_triples
    assert rows == min(holder.settings.result_row_cap, triples)


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_service_description(
    client: FlaskClient, base: str, accept: str, rdflib_format: str
) -> None:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.mimetype == accept
    graph = Graph().parse(data=response.data, format=rdflib_format)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    names = {str(o) for o in graph.objects(None, __import__("rdflib").URIRef(sd + "name"))}
    assert names == {f"{base}graph/{g}" for g in ("ontology", "asserted", "inferred", "metadata")}
    text = response.data.decode()
    for term in ("UnionDefaultGraph", "OWL-RDF-Based", "http://localhost/sparql"):
        assert term in text


def test_a_repeated_query_is_answered_from_the_kept_answers(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) { ?s a <https://schema.org/Country> }"
    first, second = get(client, query), get(client, query)
    assert first.data == second.data  # type: ignore[attr-defined]
    assert second.headers.get("X-PSFKG-Cache") == "hit"  # type: ignore[attr-defined]
    fresh = get(client, query, **{"Cache-Control": "no-cache"})
    assert "X-PSFKG-Cache" not in fresh.headers and fresh.data == first.data  # type: ignore[attr-defined]
    other_format = get(client, query, Accept="text/csv")
    assert "X-PSFKG-Cache" not in other_format.headers  # type: ignore[attr-defined]


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_without_a_query_gets_the_query_page(client: FlaskClient) -> None:
    page = client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    editor = client.get("/query").get_data(as_text=True)
    assert '<textarea id="query" name="query"' in page
    assert page == editor
    for name in ("turtle", "jsonld", "rdfxml"):
        assert f'href="/sparql?format={name}"' in page


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_a_browser_sees_a_graph_answer_as_triples(
    client: FlaskClient, base: str, form: str
) -> None:
    query = {
        "CONSTRUCT": f"CONSTRUCT WHERE {{ <{base}id/project/jatoc> ?p ?o }}",
        "DESCRIBE": f"DESCRIBE <{base}id/project/jatoc>",
    }[form]
    response = get(client, query, Accept=BROWSER)
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    triples = Graph().parse(data=get(client, query, Accept="text/turtle").data, format="turtle")  # type: ignore[attr-defined]
    assert f"{len(triples)} triple(s)" in page
    assert '<th scope="col">subject</th>' in page and "406" not in page
    assert "format=turtle" in page and "format=jsonld" in page


def test_a_browser_sees_rows_and_a_refusal_with_its_status(client: FlaskClient) -> None:
    page = get(client, COUNT, Accept=BROWSER).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "1 row(s)" in page and "format=csv" in page
    refused = get(client, "SELECT * { SERVICE <http://x/> {} }", Accept=BROWSER)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert refused.mimetype == "text/html"  # type: ignore[attr-defined]
    assert "SERVICE is not allowed" in refused.get_data(as_text=True)  # type: ignore[attr-defined]
    broken = get(client, "SELECT <script>alert(1)</script>", Accept=BROWSER)
    assert broken.status_code == 400  # type: ignore[attr-defined]
    assert "<script>alert(1)" not in broken.get_data(as_text=True)  # type: ignore[attr-defined]
