"""Pages for people: landing, facets, charts, validation report, query page, portal files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

from flask.testing import FlaskClient
from rdflib import Graph

from psfkg.namespaces import DEFAULT_BASE
from psfkg.release import CATALOG
from psfkg.web import portal
from psfkg.web.service import service

from ..conftest import client_for


def test_landing_page(client: FlaskClient) -> None:
    html = client.get("/").data.decode()
    for text in (
        "<strong>28</strong>",
        "<strong>171</strong>",
        "sha256sum -c --ignore-missing SHA256SUMS",
        "Project kick-off: BALTinnoSEC",
        "/dumps/psfkg.ttl",
        "/sparql",
        "/queries",
        "/def",
        "/validation",
        "cbss.org",
        "CC BY 4.0",
    ):
        assert text in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )  # type: ignore[union-attr]
    assert data["@type"] == "Dataset" and len(data["distribution"]) == 4


def test_facets_filter_and_count(client: FlaskClient) -> None:
    html = client.get("/browse/projects?country=iceland").data.decode()
    assert "1 projects match the filters" in html
    assert 'href="/id/project/balance"' in html
    years = client.get("/browse/projects").data.decode()
    assert re.search(r'year=2016">2016</a> <span class="count">\(5\)</span>', years)
    orgs = client.get("/browse/organisations?country=iceland").data.decode()
    assert "Icelandic Coast Guard" in orgs and "1 organisations match" in orgs


def test_charts_are_svg_with_title_and_description(client: FlaskClient) -> None:
    for path in ("/charts/projects-per-year.svg", "/charts/co-participation.svg"):
        response = client.get(path)
        assert response.mimetype == "image/svg+xml"
        body = response.data.decode()
        assert body.startswith("<svg") and "<title" in body and "<desc" in body


def test_validation_report_page_and_rdf(client: FlaskClient) -> None:
    html = client.get("/validation").data.decode()
    assert "conforms" in html and "0 violation(s)" in html and "Warning" in html
    graph = Graph().parse(data=client.get("/validation.ttl").data, format="turtle")
    assert len(graph) > 10


def test_query_page_without_javascript(client: FlaskClient, base: str) -> None:
    query = f"SELECT (COUNT(*) AS ?n) {{ ?s a <{base}def#Project> }}"
    html = client.get(f"/query?{urlencode({'query': query})}").data.decode()
    assert "<td>28</td>" in html and "format=csv" in html
    refused = client.get(
        "/query?query=SELECT%20*%20%7B%20SERVICE%20%3Chttp%3A%2F%2Fx%2F%3E%20%7B%7D%20%7D"
    ).data.decode()
    assert "SERVICE is not allowed" in refused


def test_html_injection_through_query_text_is_escaped(client: FlaskClient) -> None:
    html = client.get("/query?query=%3Cscript%3Ealert(1)%3C%2Fscript%3E").data.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_catalog_void_sitemap_robots(client: FlaskClient) -> None:
    for path, accept in (
        ("/catalog", "text/turtle"),
        ("/catalog", "application/rdf+xml"),
        ("/catalog", "application/ld+json"),
        ("/.well-known/void", "text/turtle"),
    ):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
    void = Graph().parse(data=client.get("/.well-known/void").data, format="turtle")
    assert "http://localhost/sparql" in {str(o) for o in void.objects()}
    sitemap = client.get("/sitemap.xml").data.decode()
    assert (
        sitemap.count("<url>") > 200 and "<loc>http://localhost/id/project/jatoc</loc>" in sitemap
    )
    robots = client.get("/robots.txt").data.decode()
    assert "Sitemap: http://localhost/sitemap.xml" in robots and "Disallow: /sparql" in robots


def test_catalogues_are_kept_for_a_few_sites_only(releases: Path) -> None:
    # Where any Host is allowed, each gets a catalogue naming its own URLs; a client sending
    # many Hosts cannot make a worker keep a catalogue for each.
    client = client_for(releases, {"PSFKG_ALLOWED_HOSTS": "*"})
    app = client.application
    for n in range(portal.SITES_KEPT + 5):
        host = f"mirror{n}.example"
        body = client.get("/catalog", headers={"Host": host, "Accept": "text/turtle"}).data
        assert f"http://{host}/sparql".encode() in body
    with app.app_context():
        kept = service().cache[f"{CATALOG}@sites"]
    assert list(kept) == [f"http://mirror{n}.example/" for n in range(5, portal.SITES_KEPT + 5)]


def test_any_page_number_is_read_or_refused(client: FlaskClient) -> None:
    for page in ("%C2%B2", "9" * 5000, "-1", "0", "abc"):
        response = client.get(f"/browse/projects?page={page}")
        assert response.status_code == 400, page
        assert b"must be a whole number from 1" in response.data
    for page in ("", "1", "999999999"):
        assert client.get(f"/browse/projects?page={page}").status_code == 200, page


def test_the_data_service_answers_every_alternate_it_links(client: FlaskClient) -> None:
    first = client.get("/sparql-service", headers={"Accept": "text/turtle"})
    assert first.status_code == 200 and first.headers["ETag"]
    for alternate in re.findall(r"<([^>]+)>; rel=\"alternate\"", first.headers["Link"]):
        assert client.get(alternate).status_code == 200, alternate


def test_a_large_answer_is_shown_in_part_and_downloaded_whole(client: FlaskClient) -> None:
    html = client.get("/query?query=SELECT%20*%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D").data.decode()
    assert html.count("<tr>") == 1001 and "the first 1000 shown here" in html


def test_the_iris_page_says_what_stays_and_what_a_removed_record_answers(
    client: FlaskClient, base: str
) -> None:
    response = client.get("/about/iris")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.data.decode()
    for text in (
        f"<code>{base}id/&lt;kind&gt;/&lt;key&gt;</code>",
        f"<code>{base}def/1.0</code>",
        "never renamed nor given to another record",
        "<strong>410 Gone</strong>",
        "its last version",
        "Accept-Datetime",
    ):
        assert text in html
    assert ("303 See Other" in html) == (base == DEFAULT_BASE)
    links = {h.split("#")[0] for h in re.findall(r'href="(/[^"]*)"', html) if "/static/" not in h}
    assert {"/def", "/def/1.0", "/dataset", "/graph/inferred", "/releases"} <= links
    for link in sorted(links):
        with client.get(link, headers={"Accept": "text/html"}) as followed:
            assert followed.status_code == 200, link
    landing = client.get("/").data.decode()
    assert landing.count('href="/about/iris"') == 2  # the landing page and the footer
