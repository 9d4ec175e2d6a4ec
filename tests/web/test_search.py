"""Search routes: the results page, JSON, OpenSearch suggestions and description, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from psfkg.config import Settings
from psfkg.index import Index
from psfkg.web import create_app

from ..conftest import OTHER_BASE, client_for

TURKU = "/id/organisation/university-of-turku"


@pytest.fixture(scope="module", params=["default-base", "other-base"])
def client(request: pytest.FixtureRequest) -> FlaskClient:
    """The app in-process; search reads the release's index, whatever the store."""
    fixture = "releases" if request.param == "default-base" else "other_releases"
    return client_for(request.getfixturevalue(fixture))


def test_the_results_page(client: FlaskClient) -> None:
    response = client.get("/search?q=Univrsity+of+Trku")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert f'<a href="{TURKU}">University of Turku</a> <span class="type">Organisation' in html
    assert "results for <strong>university of turku</strong>" in html
    assert html.index(TURKU) < html.index("/id/participation/")


def test_the_snippet_marks_the_match(client: FlaskClient) -> None:
    html = client.get("/search?q=border+guard").get_data(as_text=True)
    assert "<mark>Border</mark> <mark>Guard</mark>" in html


def test_the_results_page_pages(client: FlaskClient) -> None:
    first = client.get("/search?q=of").get_data(as_text=True)
    assert "page 1 of" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/search?q=of&page=2").get_data(as_text=True)
    assert "page 2 of" in second and 'rel="prev"' in second
    assert '<ol class="search-results" start="21">' in second


def test_no_results_offers_suggestions(client: FlaskClient) -> None:
    html = client.get("/search?q=jatoc+qqqqqqqq").get_data(as_text=True)
    assert "No resource has every word" in html
    assert 'href="/id/project/jatoc">JATOC</a>' in html


def test_an_empty_query_explains(client: FlaskClient) -> None:
    html = client.get("/search").get_data(as_text=True)
    assert "small typos do not matter" in html


def test_json(client: FlaskClient, base: str = "") -> None:
    body = client.get("/search.json?q=Univrsity%20of%20Trku&limit=2").get_json()
    assert body["query"] == "Univrsity of Trku" and body["total"] >= 2
    assert len(body["results"]) == 2
    first = body["results"][0]
    assert set(first) == {"iri", "url", "label", "type", "type_iri", "snippet", "score"}
    assert first["iri"].endswith("id/organisation/university-of-turku")
    assert first["iri"].startswith(("https://w3id.org/psfkg/", OTHER_BASE))
    assert first["url"] == TURKU and first["label"] == "University of Turku"
    assert first["type"] == "Organisation" and first["type_iri"].endswith("def#Organisation")
    assert body["understood"] == "university of turku"


def test_json_limit_is_capped_and_checked(client: FlaskClient) -> None:
    assert len(client.get("/search.json?q=of&limit=100000").get_json()["results"]) == 50
    assert len(client.get("/search.json?q=of&limit=0").get_json()["results"]) == 1
    for bad in ("abc", "-1", "1e3", "9" * 20):
        response = client.get(f"/search.json?q=of&limit={bad}")
        assert response.status_code == 400 and "limit must be a whole number" in response.text
    assert client.get("/search?q=of&page=x").status_code == 400


def test_suggestions(client: FlaskClient) -> None:
    response = client.get("/search/suggest?q=univrsity%20of%20tur")
    assert response.mimetype == "application/x-suggestions+json"
    q, labels, descriptions, urls = json.loads(response.data)
    assert q == "univrsity of tur" and labels[0] == "University of Turku"
    assert descriptions[0].startswith("Organisation")
    assert urls[0] == f"http://localhost{TURKU}"
    assert len(labels) == len(descriptions) == len(urls) <= 8


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    assert 'template="http://localhost/search?q={searchTerms}"' in response.text
    assert 'type="application/x-suggestions+json"' in response.text


def test_every_page_has_the_search_box(client: FlaskClient) -> None:
    for path in ("/", "/browse/organisations", TURKU, "/search"):
        html = client.get(path).get_data(as_text=True)
        assert '<form role="search" action="/search" method="get" class="site-search">' in html
        assert 'rel="search" type="application/opensearchdescription+xml"' in html
        assert "search.js" in html


@pytest.mark.parametrize(
    "q",
    [
        "",
        '"',
        "*",
        "NEAR(turku university)",
        "label:turku",
        "(((",
        "turku AND OR NOT",
        "x" * 10_240,
        "<script>alert(1)</script>",
        "%00",
        "%FF%FE",
    ],
)
@pytest.mark.parametrize("path", ["/search", "/search.json", "/search/suggest"])
def test_malformed_queries_are_answered(client: FlaskClient, path: str, q: str) -> None:
    response = client.get(f"{path}?q={q if q.startswith('%') else quote(q)}")
    assert response.status_code == 200
    if path == "/search":
        assert "<script>alert" not in response.get_data(as_text=True)


def test_markup_is_escaped(client: FlaskClient) -> None:
    html = client.get("/search?q=%3Cb%3Ejatoc").get_data(as_text=True)
    assert "<b>jatoc" not in html and "&lt;b&gt;jatoc" in html


def test_a_server_of_files_has_no_search(tmp_path: Path) -> None:
    data = tmp_path / "one.nt"
    data.write_text('<http://e.org/s> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n')
    settings = Settings.from_env({"PSFKG_RELEASES_DIR": str(tmp_path)})
    client = create_app({"SETTINGS": settings, "FILES": [data]}).test_client()
    for path in ("/search?q=x", "/search.json?q=x", "/search/suggest?q=x", "/opensearch.xml"):
        assert client.get(path).status_code == 404


def test_the_index_is_a_download(client: FlaskClient) -> None:
    listed = {f["name"] for f in client.get("/dumps.json").get_json()["files"]}
    assert "search.sqlite" in listed
    response = client.get("/dumps/search.sqlite")
    assert response.mimetype == "application/vnd.sqlite3"
    assert response.data.startswith(b"SQLite format 3\x00")
    response.close()


def test_an_index_of_another_layout_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "search.sqlite").write_bytes(b"not an index")
    index = Index(tmp_path / "search.sqlite")
    assert not index.readable()
