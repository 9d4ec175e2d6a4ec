"""HTTP details real clients trip on: HEAD, validators, CORS, negotiation with media-type
parameters, the text of a source page, and a clear 4xx (never a 500) for bad input."""

from __future__ import annotations

import json
import logging
import socket
import urllib.parse
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ..conftest import client_for

ASK = "/sparql?query=" + urllib.parse.quote("ASK {}")
SOURCE = "/source/cbss-psf-past-projects"
CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


@pytest.mark.parametrize(
    ("path", "accept", "media_type"),
    [
        ("/id/project/jatoc", "text/turtle; charset=utf-8", "text/turtle"),
        (
            "/id/project/jatoc",
            'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"',
            "application/ld+json",
        ),
        ("/id/project/jatoc", CHROMIUM, "text/html"),
        ("/def", CHROMIUM, "text/html"),
        ("/dataset", CHROMIUM, "text/html"),
        (ASK, "application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
        ("/sparql", "text/turtle; charset=UTF-8", "text/turtle"),
        ("/catalog", 'application/ld+json; profile="http://example.org/p"', "application/ld+json"),
        ("/validation", "text/turtle; charset=utf-8", "text/turtle"),
        ("/dumps", "application/json; charset=utf-8", "application/json"),
        ("/dumps", CHROMIUM, "text/html"),
    ],
)
def test_media_type_parameters_in_accept(
    client: FlaskClient, path: str, accept: str, media_type: str
) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.data
    assert response.mimetype == media_type


@pytest.mark.parametrize("path", ["/id/project/jatoc", ASK, "/sparql", "/catalog", "/dumps"])
def test_a_charset_psfkg_does_not_write_is_406(client: FlaskClient, path: str) -> None:
    accept = "text/turtle; charset=iso-8859-1"
    if path.startswith("/sparql?"):
        accept = "application/sparql-results+json; charset=iso-8859-1"
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 406
    assert b"offered" in response.data


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("/dataset.foo", b".html, .ttl, .jsonld, .nt, .rdf"),
        ("/def.foo", b".html, .ttl, .jsonld, .nt, .rdf"),
        ("/catalog.foo", b".ttl, .rdf, .jsonld, .nt"),
    ],
)
def test_an_unknown_suffix_is_404_naming_the_suffixes_there_are(
    client: FlaskClient, path: str, known: bytes
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.data == b"Error 404: no format .foo here: use " + known + b" or no suffix\n"


def test_a_head_carries_the_content_length_of_the_get(client: FlaskClient) -> None:
    query = "/sparql?query=" + urllib.parse.quote("ASK { ?s a ?class }")
    before = client.head(query)  # nothing kept yet: evaluated
    get = client.get(ASK)
    after = client.head(ASK)  # the kept answer
    assert len(get.data) == 29
    assert before.headers["Content-Length"] == str(len(client.get(query).data))
    assert after.headers["Content-Length"] == "29" and after.data == b""
    assert after.headers["ETag"] == get.headers["ETag"]
    assert after.headers["X-PSFKG-Rows"] == "1"


def test_a_query_answer_has_a_weak_etag_compared_weakly(client: FlaskClient) -> None:
    etag = client.get(ASK).headers["ETag"]
    assert etag.startswith('W/"')
    for sent in (etag, etag.removeprefix("W/"), f'"other", {etag}'):
        again = client.get(ASK, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.headers["ETag"] == etag
    assert client.get(ASK, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def get(url: str, method: str = "GET") -> tuple[str, bytes, int]:
    """ETag, body and Content-Length of an answer, over a new connection."""
    request = urllib.request.Request(url, method=method, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers["ETag"], response.read(), int(response.headers["Content-Length"])


def stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/-/stats", timeout=30) as response:
        found: dict[str, int] = json.load(response)
        return found


@pytest.mark.parametrize(
    "path",
    [
        "/id/project/jatoc.ttl",
        "/id/organisation/lund-university",
        "/def.ttl",
        "/catalog",
        "/.well-known/void",
        "/sparql",
        "/charts/projects-per-year.svg",
        "/charts/co-participation.svg",
    ],
)
def test_each_body_has_one_etag_across_two_workers(psf_server: str, path: str) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(get, [psf_server + path] * 32))
        heads = list(pool.map(lambda url: get(url, "HEAD"), [psf_server + path] * 8))
        workers = set(pool.map(lambda _: stats(psf_server)["worker"], range(16)))
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for etag, body, length in answers:
        assert etag.startswith('"') and length == len(body)
        bodies[etag].add(body)
    assert {etag: len(found) for etag, found in bodies.items() if len(found) > 1} == {}
    for etag, body, length in heads:
        assert body == b""
        if etag in bodies:
            assert length == len(next(iter(bodies[etag])))
    assert len(workers) == 2


def test_a_cross_origin_script_can_read_the_alternates(client: FlaskClient) -> None:
    response = client.get("/id/project/jatoc", headers={"Origin": "https://example.org"})
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Link", "Content-Location", "ETag"} <= exposed
    assert response.headers["Link"] and response.headers["Content-Location"]


def test_a_source_page_answers_its_text_to_accept_text_plain(client: FlaskClient) -> None:
    text = client.get(SOURCE, headers={"Accept": "text/plain"})
    by_suffix = client.get(f"{SOURCE}.txt")
    assert text.status_code == by_suffix.status_code == 200
    assert text.mimetype == "text/plain" and text.data == by_suffix.data
    assert text.data.startswith(b"cbss.org")
    assert text.headers["Content-Location"] == f"{SOURCE}.txt"
    links = client.get(SOURCE).headers["Link"]
    assert f'<{SOURCE}.txt>; rel="alternate"; type="text/plain"' in links
    assert f'<{SOURCE}.ttl>; rel="alternate"; type="text/turtle"' in links
    assert client.get(SOURCE, headers={"Accept": CHROMIUM}).mimetype == "text/html"


@pytest.mark.parametrize(
    ("query", "answer"), [("ASK {}", b"yes"), ("ASK { FILTER (false) }", b"no")]
)
def test_the_query_page_shows_an_ask_answer(client: FlaskClient, query: str, answer: bytes) -> None:
    response = client.get("/query?query=" + urllib.parse.quote(query))
    assert response.status_code == 200
    assert b"Answer: <strong>" + answer + b"</strong>" in response.data


def test_a_form_over_the_body_limit_is_413_and_logged(
    releases: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(releases, {"PSFKG_MAX_BODY_BYTES": "1000"})
    with caplog.at_level(logging.INFO, logger="psfkg.access"):
        response = client.post("/sparql", data={"query": "ASK {} #" + "x" * 2000})
    assert response.status_code == 413
    assert response.data == b"Error 413: the request body is larger than 1000 bytes\n"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "psfkg.access"]
    assert [(line["path"], line["status"]) for line in lines] == [("/sparql", 413)]


def raw(base: str, request: bytes) -> bytes:
    """Send bytes to the server and read its whole answer."""
    address = urllib.parse.urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"zz\r\nquery=ASK{}\r\n0\r\n\r\n"),
        ("application/sparql-query", b"zz\r\nASK{}\r\n0\r\n\r\n"),
    ],
)
def test_a_bad_chunk_size_is_400(psf_server: str, content_type: str, body: bytes) -> None:
    head = (
        "POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: {content_type}\r\nConnection: close\r\n\r\n"
    )
    answer = raw(psf_server, head.encode() + body)
    assert answer.startswith(b"HTTP/1.1 400 ")
    # The front reads the body whole before a worker sees it, and says what is wrong with it.
    assert b"Error 400: the request is not HTTP/1.1 as it should be: illegal chunk header" in answer


@pytest.mark.parametrize("name", ["x" * 300 + ".txt", "x" * 300, "\u00e9" * 200 + ".txt"])
def test_a_source_name_too_long_for_a_file_is_404(client: FlaskClient, name: str) -> None:
    response = client.get(f"/source/{name}")
    assert response.status_code == 404
    assert b"no source page has a name of more than 200 bytes" in response.data


@pytest.mark.parametrize(
    "path", ["/", "/id/project/jatoc", "/sparql?query=ASK%20%7B%7D", "/no-such-page", "/dumps"]
)
def test_every_answer_carries_the_browsers_protections(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": CHROMIUM})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self'
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_exact_library_versions_only_when_a_setting_allows(releases: Path) -> None:
    assert set(client_for(releases).get("/-/versions").get_json()) == {"psfkg"}
    shown = client_for(releases, {"PSFKG_SHOW_VERSIONS": "1"}).get("/-/versions").get_json()
    assert {"psfkg", "pyoxigraph", "rdflib", "flask"} <= set(shown)


def test_a_post_whose_if_none_match_matches_is_412_not_an_empty_200(client: FlaskClient) -> None:
    etag = client.get("/sparql?query=ASK%20%7B%7D").headers["ETag"]
    for match in ("*", etag):
        response = client.post(
            "/sparql", data={"query": "ASK {}"}, headers={"If-None-Match": match}
        )
        assert response.status_code == 412 and response.data.startswith(b"Error 412")
    assert client.post("/sparql", data={"query": "ASK {}"}).status_code == 200
