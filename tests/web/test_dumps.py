"""/dumps: stable URLs, media types, validators, conditional GET, HEAD, gzip and the listing."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCAT, DCTERMS
from werkzeug.test import TestResponse


def fetch(client: FlaskClient, path: str, method: str = "GET", **headers: str) -> TestResponse:
    """Request, read the whole body, and close the response (it may hold an open file)."""
    response = client.open(path, method=method, headers=headers)
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("psfkg.ttl", "text/turtle"),
        ("psfkg.nt", "application/n-triples"),
        ("psfkg.jsonld", "application/ld+json"),
        ("psfkg.nq", "application/n-quads"),
        ("psfkg.nq.gz", "application/gzip"),
        ("manifest.json", "application/json"),
        ("SHA256SUMS", "text/plain"),
    ],
)
def test_each_file_with_its_headers(
    client: FlaskClient, release_dir: Path, name: str, media_type: str
) -> None:
    response = fetch(client, f"/dumps/{name}")
    body = (release_dir / name).read_bytes()
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.data == body
    assert int(response.headers["Content-Length"]) == len(body)
    assert response.headers["Last-Modified"]
    assert f"filename={name}" in response.headers["Content-Disposition"]
    if name not in ("manifest.json", "SHA256SUMS"):
        assert response.headers["ETag"].strip('"') == hashlib.sha256(body).hexdigest()


def test_conditional_get_and_head(client: FlaskClient) -> None:
    first = fetch(client, "/dumps/psfkg.ttl")
    assert (
        fetch(client, "/dumps/psfkg.ttl", **{"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    modified = first.headers["Last-Modified"]
    assert fetch(client, "/dumps/psfkg.ttl", **{"If-Modified-Since": modified}).status_code == 304
    head = fetch(client, "/dumps/psfkg.ttl", "HEAD")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]


def test_gzip_transfer_when_asked(client: FlaskClient, release_dir: Path) -> None:
    response = fetch(client, "/dumps/psfkg.nt", **{"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == (release_dir / "psfkg.nt").read_bytes()
    assert fetch(client, "/dumps/psfkg.nt").headers.get("Content-Encoding") is None


@pytest.mark.parametrize(
    "path",
    [
        "/dumps/../../etc/passwd",
        "/dumps/%2e%2e%2fmanifest.json",
        "/dumps/nope.ttl",
        "/dumps/..%2F..%2Fpyproject.toml",
    ],
)
def test_nothing_outside_the_release(client: FlaskClient, path: str) -> None:
    response = fetch(client, path)
    assert response.status_code == 404
    assert b"/work/" not in response.data


def test_listing_as_json_and_html(client: FlaskClient, release_dir: Path) -> None:
    listing = fetch(client, "/dumps.json").get_json()
    assert listing["release"] == release_dir.name
    names = {f["name"] for f in listing["files"]}
    assert {"psfkg.ttl", "psfkg.ttl.gz", "psfkg.nq", "SHA256SUMS"} <= names | {"SHA256SUMS"}
    for f in listing["files"]:
        assert (
            len(f["sha256"]) == 64
            and f["bytes"] > 0
            and f["url"].startswith("http://localhost/dumps/")
        )
    assert fetch(client, "/dumps", Accept="application/json").get_json() == listing
    html = fetch(client, "/dumps", Accept="text/html")
    assert html.mimetype == "text/html"
    assert b"psfkg.ttl.gz" in html.data and b"sha256sum -c --ignore-missing SHA256SUMS" in html.data


def test_the_downloads_page_is_in_the_site_s_style_and_says_all_a_person_needs(
    client: FlaskClient, release_dir: Path
) -> None:
    response = fetch(client, "/dumps", Accept="text/html")
    page = response.get_data(as_text=True)
    assert 'name="viewport"' in page and 'aria-label="Site"' in page and "site.css" in page
    assert '<link rel="alternate" type="application/json"' in page
    assert 'rel="alternate"; type="application/json"' in response.headers["Link"]
    # Every file with its size and checksum, SHA256SUMS and the manifest among them.
    for name in ("SHA256SUMS", "manifest.json", "psfkg.ttl", "psfkg.nq.gz"):
        digest = hashlib.sha256((release_dir / name).read_bytes()).hexdigest()
        assert f'/dumps/{name}">{name}</a>' in page and digest in page
        assert f"{(release_dir / name).stat().st_size:,}" in page
    for line in ("Turtle</strong> (<code>.ttl</code>):", "N-Quads</strong>", "gzip</strong>"):
        assert line in page
    assert "sha256sum -c --ignore-missing SHA256SUMS" in page
    # The licence and the rights statement are the catalogue's, not the page's own.
    catalog = Graph().parse(release_dir / "catalog.nt")
    licences = {str(o) for o in catalog.objects(None, DCTERMS.license)}
    assert any(f'href="{licence}"' in page for licence in licences)
    for rights in catalog.objects(None, DCTERMS.rights):
        assert str(catalog.value(rights, RDFS.label)).replace("'", "&#39;") in page
    # How to cite, from the release's metadata: nothing invented.
    manifest = json.loads((release_dir / "manifest.json").read_text())
    dataset = next(catalog.subjects(None, DCAT.Dataset))
    for fact in (
        str(catalog.value(dataset, DCTERMS.title)),
        release_dir.name,
        manifest["dataset_version"],  # the dataset's version, not the ontology's
        manifest["date"][:10],
        str(dataset),
    ):
        assert fact in page[page.index('id="cite-h"') :]
    assert "doi.org" not in page and "doi =" not in page


def test_the_json_listing_keeps_its_fields_and_adds_the_two_that_describe_the_release(
    client: FlaskClient, release_dir: Path
) -> None:
    listing = fetch(client, "/dumps.json").get_json()
    assert {"release", "version", "date", "files"} <= set(listing)
    assert "SHA256SUMS" not in {f["name"] for f in listing["files"]}
    for key, name in (("checksums", "SHA256SUMS"), ("manifest", "manifest.json")):
        described = listing[key]
        assert described["name"] == name and described["url"].endswith(f"/dumps/{name}")
        assert described["sha256"] == hashlib.sha256((release_dir / name).read_bytes()).hexdigest()
        assert described["bytes"] == (release_dir / name).stat().st_size
    catalog = Graph().parse(release_dir / "catalog.nt")
    distributions = catalog.subjects(RDF.type, DCAT.Distribution)
    given = {str(o) for d in distributions for o in catalog.objects(d, DCTERMS.license)}
    assert listing["license"] == sorted(given) and given
