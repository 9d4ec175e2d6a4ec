"""``/releases``: every release on disk listed, each file at a stable, immutable URL; through the
real server, with three releases built from edited copies of the data."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import client_for
from ..live import live_server
from ..test_serving import master_of, memory


@pytest.fixture(scope="module")
def three(edited_releases: list[Path]) -> Path:
    """A releases folder with three releases built from edited data (see ``edited_releases``)."""
    return edited_releases[0].parent


@pytest.fixture(scope="module")
def server(three: Path) -> Iterator[str]:
    with live_server(releases=three) as base:
        yield base


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_listing_names_three_releases_oldest_first(server: str, three: Path) -> None:
    status, _, body = fetch(f"{server}/releases.json")
    listed = json.loads(body)
    assert status == 200
    ids = [r["id"] for r in listed["releases"]]
    assert ids == sorted(p.name for p in three.iterdir() if not p.is_symlink()) and len(ids) == 3
    assert listed["latest"] == ids[-1] and [r["latest"] for r in listed["releases"]] == [
        False,
        False,
        True,
    ]
    versions = [r["dataset_version"] for r in listed["releases"]]
    assert len(set(versions)) == 3 and all(v.startswith(ids[0][:4] + ".") for v in versions)
    assert {r["ontology_version"] for r in listed["releases"]} == {"1.0.0"}
    html = fetch(f"{server}/releases")[2].decode()
    assert all(f"/releases/{i}/" in html for i in ids) and "(latest)" in html


def test_every_file_of_every_release_downloads_unchanged_and_immutable(
    server: str, three: Path
) -> None:
    listed = json.loads(fetch(f"{server}/releases.json")[2])["releases"]
    for release in listed:
        status, _, body = fetch(f"{server}/releases/{release['id']}/index.json")
        assert status == 200
        files = json.loads(body)["files"]
        on_disk = (three / release["id"] / "SHA256SUMS").read_text().splitlines()
        assert len(files) == len(on_disk) + 1  # and SHA256SUMS itself
        for f in files:
            status, headers, data = fetch(f["url"])
            assert status == 200, f["url"]
            digest = hashlib.sha256(data).hexdigest()
            assert digest == f["sha256"] and len(data) == f["bytes"], f["url"]
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert headers["ETag"] == f'"{digest}"'
            assert (
                headers["Repr-Digest"] == f"sha-256=:{b64encode(bytes.fromhex(digest)).decode()}:"
            )


def test_a_file_answers_ranges_gzip_and_conditional_requests(server: str) -> None:
    rid = json.loads(fetch(f"{server}/releases.json")[2])["releases"][0]["id"]
    url = f"{server}/releases/{rid}/psfkg.ttl"
    _, headers, whole = fetch(url)
    status, _, part = fetch(url, {"Range": "bytes=10-19"})
    assert status == 206 and part == whole[10:20]
    status, headers, zipped = fetch(url, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and zipped[:2] == b"\x1f\x8b"
    assert fetch(url, {"If-None-Match": fetch(url)[1]["ETag"]})[0] == 304


def test_an_unknown_release_or_file_is_404_naming_the_releases(server: str) -> None:
    ids = [r["id"] for r in json.loads(fetch(f"{server}/releases.json")[2])["releases"]]
    for path in ("nope/", "nope/psfkg.ttl", f"{ids[0]}/nope.ttl", f"{ids[0]}/../latest/psfkg.nt"):
        status, _, body = fetch(f"{server}/releases/{path}", {"Accept": "application/json"})
        assert status == 404, path
        if status == 404 and body.startswith(b"{"):
            assert json.loads(body)["releases"] == ids
    status, _, body = fetch(f"{server}/releases/%3Cscript%3E/")
    assert status == 404 and b"<script>" not in body and ids[0].encode() in body


def test_each_release_page_cites_its_version_and_date(server: str) -> None:
    release = json.loads(fetch(f"{server}/releases.json")[2])["releases"][1]
    page = fetch(f"{server}/releases/{release['id']}/")[2].decode()
    assert "Cite this release" in page and "@misc{psfkg-" in page
    assert f"version {release['dataset_version']}" in page and release["date"][:10] in page
    ld = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert ld["@type"] == "Dataset" and ld["version"] == release["dataset_version"]
    assert ld["datePublished"] == release["date"][:10] and ld["citation"] and ld["license"]
    cited = json.loads(fetch(f"{server}/releases/{release['id']}/index.json")[2])["citation"]
    csl = json.loads(cited["csl"])
    assert csl["type"] == "dataset" and csl["version"] == release["dataset_version"]


def test_the_landing_page_and_dumps_cite_the_latest(three: Path) -> None:
    client = client_for(three)
    latest = client.get("/releases.json").get_json()["releases"][-1]
    for path in ("/", "/dumps"):
        page = client.get(path).get_data(as_text=True)
        assert "Cite this release" in page and f"version {latest['dataset_version']}" in page
        assert 'href="/releases"' in page  # the nav, and the link from the latest's files


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux")
def test_releases_on_disk_cost_the_server_no_memory(three: Path, tmp_path: Path) -> None:
    """A server with three releases holds no more than one with only the latest (1.2x), after
    every old file was listed and downloaded: an old release is never loaded."""
    one = tmp_path / "one"
    one.mkdir()
    newest = (three / "latest").resolve()
    shutil.copytree(newest, one / newest.name)
    (one / "latest").symlink_to(newest.name)
    found = {}
    for folder in (one, three):
        with live_server(releases=folder) as base:
            for release in json.loads(fetch(f"{base}/releases.json")[2])["releases"]:
                for f in json.loads(fetch(f"{release['url']}index.json")[2])["files"]:
                    fetch(f["url"])
            found[folder] = memory(master_of(base))
    print(f"PSS with one release {found[one] >> 20} MiB, with three {found[three] >> 20} MiB")
    assert found[three] <= 1.2 * found[one], found


def test_the_catalogue_gives_the_dataset_its_versions_and_conforms_to_dcat_ap(
    three: Path,
) -> None:
    from rdflib import Graph, Literal, Namespace, URIRef

    from ..build.test_catalog import full_results, recommended_results, shacl_results

    dcat, adms = Namespace("http://www.w3.org/ns/dcat#"), Namespace("http://www.w3.org/ns/adms#")
    ids = sorted(p.name for p in three.iterdir() if not p.is_symlink())
    graph = Graph().parse(three / "latest" / "catalog.nt", format="nt")
    base = "https://w3id.org/psfkg/"
    dataset, versions = URIRef(base + "dataset"), [URIRef(f"{base}releases/{i}/") for i in ids]
    assert set(graph.objects(dataset, dcat.hasVersion)) == set(versions)
    assert graph.value(dataset, dcat.hasCurrentVersion) == versions[-1]
    manifests = [json.loads((three / i / "manifest.json").read_text()) for i in ids]
    assert graph.value(dataset, dcat.version) == Literal(manifests[-1]["dataset_version"])
    for n, (v, m) in enumerate(zip(versions, manifests, strict=True)):
        assert graph.value(v, dcat.version) == Literal(m["dataset_version"])
        assert graph.value(v, dcat.previousVersion) == (versions[n - 1] if n else None)
        assert m["dataset_version"] in str(graph.value(v, adms.versionNotes))
        assert graph.value(v, dcat.isVersionOf) == dataset
        urls = {str(graph.value(d, dcat.downloadURL)) for d in graph.objects(v, dcat.distribution)}
        assert urls == {f"{base}releases/{ids[n]}/{f}" for f in m["files"] if "psfkg." in f}
    # The first release's own catalogue knows only itself: a release never changes.
    first = Graph().parse(three / ids[0] / "catalog.nt", format="nt")
    assert set(first.objects(dataset, dcat.hasVersion)) == {versions[0]}
    assert shacl_results(graph, "shapes.ttl") == []
    # The dataset and its three versions: all of DCAT-AP but the checksum shape's bug, and the
    # recommendations no source can fill (see tests/dcat-ap/SOURCE.md).
    assert len(full_results(graph, datasets=4)) == 4 * 8 + 2 + 4
    assert len(recommended_results(graph)) == 1 + 2 * 13
    assert len(full_results(first, datasets=2)) == 2 * 8 + 2 + 2
