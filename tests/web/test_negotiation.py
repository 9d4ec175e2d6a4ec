"""A page wherever a browser goes: every URL a page links to answers Chromium's and Firefox's
navigation (and plain ``Accept: text/html``) with HTML that links its alternates, and answers RDF
clients exactly as before (the expected types below are what each URL gave them before pages
were added)."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from flask.testing import FlaskClient

CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSERS = {"chromium": CHROMIUM, "firefox": FIREFOX, "html": "text/html"}


def q(text: str) -> str:
    return "/sparql?query=" + urllib.parse.quote(text)


SELECT = q("SELECT ?s WHERE { ?s a <https://w3id.org/psfkg/def#Project> } LIMIT 3")
ASK = q("ASK {}")
CONSTRUCT = q("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3")
DESCRIBE = q("DESCRIBE <https://w3id.org/psfkg/id/project/jatoc>")
#: Whose Accept -> media type (or 406), per URL: what RDF clients got before pages were added.
TTL, RDFXML, SRJ, SRX, HTML = (
    "text/turtle",
    "application/rdf+xml",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/html",
)
RDF_ACCEPTS = (None, "*/*", "text/turtle", "application/xml", "application/rdf+xml", SRJ)
DESCRIBED = (TTL, TTL, TTL, RDFXML, RDFXML, 406)
RESOURCE = (HTML, HTML, TTL, RDFXML, RDFXML, 406)
SOLUTIONS = (SRJ, SRJ, 406, SRX, 406, SRJ)
BEFORE = {
    "/sparql": DESCRIBED,
    SELECT: SOLUTIONS,
    ASK: SOLUTIONS,
    CONSTRUCT: DESCRIBED,
    DESCRIBE: DESCRIBED,
    "/catalog": DESCRIBED,
    "/.well-known/void": DESCRIBED,
    "/graph/asserted": RESOURCE,
    "/sparql-service": RESOURCE,
    "/publisher": RESOURCE,
    "/dataset": RESOURCE,
    "/dataset/distribution/psfkg.ttl": RESOURCE,
    "/dataset/linkset/wikidata": RESOURCE,
    "/def": RESOURCE,
    "/id/project/jatoc": RESOURCE,
    "/dumps": (HTML, HTML, 406, 406, 406, 406),
}
#: Pages that are one representation of something offered in RDF too.
NEGOTIATED = [p for p in BEFORE if p != "/dumps"]


@pytest.mark.parametrize("browser", BROWSERS)
@pytest.mark.parametrize("path", [*BEFORE, "/", "/query", "/queries", "/validation", "/about/iris"])
def test_a_browser_gets_a_page(client: FlaskClient, path: str, browser: str) -> None:
    response = client.get(path, headers={"Accept": BROWSERS[browser]})
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'name="viewport"' in html and 'aria-label="Site"' in html
    if path in BEFORE:
        assert "Accept" in response.headers.get("Vary", "")
        assert 'rel="alternate"' in response.headers["Link"]
        links = re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', html)
        visible = re.findall(r'<a href="([^"]+)" type="([^"]+)"', html)
        assert links and visible
        assert {h for _, h in links} <= {h for h, _ in visible}


@pytest.mark.parametrize("path", NEGOTIATED)
def test_each_alternate_a_page_names_is_what_it_says(client: FlaskClient, path: str) -> None:
    html = client.get(path, headers={"Accept": CHROMIUM}).get_data(as_text=True)
    for media_type, href in re.findall(
        r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', html
    ):
        response = client.get(href.replace("&amp;", "&"), headers={"Accept": CHROMIUM})
        assert response.status_code == 200, href
        assert response.mimetype == media_type, href


@pytest.mark.parametrize("path", BEFORE)
@pytest.mark.parametrize("accept", RDF_ACCEPTS, ids=lambda a: a or "none")
def test_rdf_clients_get_what_they_got(client: FlaskClient, path: str, accept: str | None) -> None:
    expected = BEFORE[path][RDF_ACCEPTS.index(accept)]
    response = client.get(path, headers={"Accept": accept} if accept else {})
    if expected == 406:
        assert response.status_code == 406
        assert b"offered" in response.data
    else:
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == expected


def test_a_browser_posting_the_query_form_gets_the_results_page(client: FlaskClient) -> None:
    response = client.post(
        "/sparql",
        data={"query": "SELECT ?s WHERE { ?s a <https://w3id.org/psfkg/def#Project> }"},
        headers={"Accept": CHROMIUM},
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "row(s)" in response.get_data(as_text=True)
