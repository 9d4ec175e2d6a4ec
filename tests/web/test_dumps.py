"""/dumps: stable URLs, media types, validators, conditional GET, HEAD, gzip and the listing."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from flask.testing import FlaskClient
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
