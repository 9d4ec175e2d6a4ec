"""``/releases``: every release on disk listed, each file at a stable, immutable URL; through the
real server, with three releases built from edited copies of the data."""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
import threading
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from ..conftest import client_for
from ..live import live_server


@pytest.fixture(scope="module")
def three(edited_releases: list[Path]) -> Path:
    """A releases folder with three releases built from edited data (see ``edited_releases``)."""
    return edited_releases[0].parent


@pytest.fixture(scope="module")
def server(three: Path) -> Iterator[str]:
    with live_server(releases=three) as base:
        yield base


BASE = "https://w3id.org/psfkg/"


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


#: What a release's home answers in RDF: its suffix, its media type, and rdflib's name for it.
RDF_FORMS = [
    ("ttl", "text/turtle", "turtle"),
    ("nt", "application/n-triples", "nt"),
    ("jsonld", "application/ld+json", "json-ld"),
    ("rdf", "application/rdf+xml", "xml"),
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def test_a_release_home_is_rdf_too_what_its_own_catalogue_says(server: str, three: Path) -> None:
    """``/releases/<id>/``, the release's IRI, answers RDF clients with the release as its own
    catalogue describes it (a version of the dataset, its distributions, with labels), in each
    RDF format by Accept and by suffix, with ETags, HEAD, and the page for a browser."""
    ids = sorted(p.name for p in three.iterdir() if not p.is_symlink())
    dcat, dataset = Namespace("http://www.w3.org/ns/dcat#"), URIRef(f"{BASE}dataset")
    for n, rid in enumerate(ids):
        home, iri = f"{server}/releases/{rid}/", URIRef(f"{BASE}releases/{rid}/")
        manifest = json.loads((three / rid / "manifest.json").read_text())
        status, headers, body = fetch(home, {"Accept": "text/turtle"})
        assert status == 200 and headers["Content-Type"] == "text/turtle; charset=utf-8"
        assert headers["Content-Location"] == f"/releases/{rid}/index.ttl"
        assert f'<{iri}>; rel="canonical"' in headers["Link"] and "Accept" in headers["Vary"]
        graph = Graph().parse(data=body, format="turtle")
        assert (iri, RDF.type, dcat.Dataset) in graph
        assert graph.value(iri, dcat.version) == Literal(manifest["dataset_version"])
        assert graph.value(iri, dcat.isVersionOf) == dataset and graph.value(dataset, DCTERMS.title)
        earlier = URIRef(f"{BASE}releases/{ids[n - 1]}/") if n else None
        assert graph.value(iri, dcat.previousVersion) == earlier
        distributions = set(graph.objects(iri, dcat.distribution))
        urls = {str(graph.value(d, dcat.downloadURL)) for d in distributions}
        assert urls == {f"{home}{f}" for f in manifest["files"] if "psfkg." in f}
        assert all(graph.value(d, DCTERMS.title) for d in distributions)
        for suffix, media_type, parser in RDF_FORMS:
            for url, accept in ((f"{home}index.{suffix}", BROWSER), (home, media_type)):
                status, headers, data = fetch(url, {"Accept": accept})
                assert status == 200 and headers["Content-Type"].startswith(media_type), url
                assert isomorphic(Graph().parse(data=data, format=parser), graph), url
        etag = fetch(home, {"Accept": "text/turtle"})[1]["ETag"]
        again = fetch(home, {"Accept": "text/turtle", "If-None-Match": etag})
        assert again[0] == 304 and again[2] == b""
        head = urllib.request.Request(home, method="HEAD", headers={"Accept": "text/turtle"})
        with urllib.request.urlopen(head, timeout=30) as response:
            assert response.status == 200 and response.read() == b""
            assert response.headers["ETag"] == etag
        status, headers, page = fetch(home, {"Accept": BROWSER})
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"Cite this release" in page and fetch(f"{home}index.html")[2] == page
        assert fetch(f"{home}index.xyz")[0] == 404


def test_the_landing_page_and_dumps_cite_the_latest(three: Path) -> None:
    client = client_for(three)
    latest = client.get("/releases.json").get_json()["releases"][-1]
    for path in ("/", "/dumps"):
        page = client.get(path).get_data(as_text=True)
        assert "Cite this release" in page and f"version {latest['dataset_version']}" in page
        assert 'href="/releases"' in page  # the nav, and the link from the latest's files


def test_the_catalogue_gives_the_dataset_its_versions_and_conforms_to_dcat_ap(
    three: Path,
) -> None:
    from ..build.test_catalog import full_results, recommended_results, shacl_results

    dcat, adms = Namespace("http://www.w3.org/ns/dcat#"), Namespace("http://www.w3.org/ns/adms#")
    ids = sorted(p.name for p in three.iterdir() if not p.is_symlink())
    graph = Graph().parse(three / "latest" / "catalog.nt", format="nt")
    base = BASE
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


def raw(server: str, path: str, headers: dict[str, str], method: str = "GET") -> tuple[int, bytes]:
    """A request sent as it is written (no client tidies its path): status and body."""
    connection = http.client.HTTPConnection(server.split("//", 1)[1], timeout=60)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


BAD_IDS = [
    "..",
    "%2e%2e",
    "%2E%2E",
    ".latest",
    "latest",
    "%00",
    "a%00b",
    "x" * 3000,
    "%C3%A9t%C3%A9",
]
BAD_IDS += ["%F0%9F%98%80", "%ff%fe", "..%2f..%2f..%2fetc", "%2e%2e%2f%2e%2e%2fetc"]


@pytest.mark.parametrize("rid", BAD_IDS)
def test_a_release_id_that_is_no_release_is_a_clear_404(server: str, rid: str) -> None:
    """Ids with dot segments, NUL, unicode, bytes that are no UTF-8 or thousands of bytes, in
    every route under /releases/<id>/ and in any format: 404 (or 400), never a file from
    elsewhere, never a 500."""
    paths = ["/", "/index.ttl", "/psfkg.ttl", "/manifest.json", "/changes", "/id/project/jatoc"]
    paths += [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/sources/..%2f..%2fSHA256SUMS",
    ]
    for path in paths:
        for accept in ("text/turtle", "application/json", "text/html", "*/*"):
            for method in ("GET", "HEAD"):
                status, body = raw(server, f"/releases/{rid}{path}", {"Accept": accept}, method)
                assert status in (400, 404), (rid, path, accept, method, status)
                assert b"root:" not in body and b'"base_iri"' not in body


def test_a_file_path_that_leaves_the_release_is_404(server: str, three: Path) -> None:
    rid = sorted(p.name for p in three.iterdir() if not p.is_symlink())[0]
    for path in (
        "../latest/psfkg.nt",
        "%2e%2e/latest/psfkg.nt",
        "sources/%2e%2e/manifest.json",
        "sources/..%2fmanifest.json",
        "%2fetc%2fpasswd",
        "manifest.json%00",
        "index.%00",
        "index." + "t" * 3000,
        "index.",
        "id/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ):
        for accept in ("text/turtle", "*/*"):
            status, body = raw(server, f"/releases/{rid}/{path}", {"Accept": accept})
            # ``%2f`` is a slash: ``//etc`` is redirected to ``/etc`` in the release, a 404
            assert status in (400, 404) or (status == 308 and "%2f" in path), (path, status)
            assert b"root:" not in body and b'"base_iri"' not in body


def test_if_none_match_storms_and_head_from_many_clients_get_only_200_and_304(
    server: str, three: Path
) -> None:
    """Sixteen clients at once, on the two workers, each asking the release routes with every
    kind of If-None-Match (the ETag, ``*``, another, a long list, a weak one, nonsense) by GET
    and HEAD: every answer is 200 or 304, and the ETag gets 304 from either worker."""
    rid = sorted(p.name for p in three.iterdir() if not p.is_symlink())[0]
    targets = [
        (f"/releases/{rid}/", "text/turtle"),
        (f"/releases/{rid}/", "text/html"),
        (f"/releases/{rid}/index.json", "*/*"),
        (f"/releases/{rid}/psfkg.ttl", "*/*"),
        (f"/releases/{rid}/changes", "text/html"),
        ("/releases", "*/*"),
        ("/releases.atom", "*/*"),
        (f"/releases/{rid}/id/project/jatoc", "text/turtle"),
    ]
    etags = {t: fetch(server + t[0], {"Accept": t[1]})[1]["ETag"] for t in targets}
    found: list[tuple[str, str, int]] = []

    def client(n: int) -> None:
        for i in range(24):
            path, accept = target = targets[(n + i) % len(targets)]
            etag = etags[target]
            match = [etag, "*", '"other"', ", ".join(['"a"'] * 50 + [etag]), "W/" + etag, ",,x"]
            value = match[i % len(match)]
            status = raw(
                server,
                path,
                {"Accept": accept, "If-None-Match": value},
                "HEAD" if i % 3 == 0 else "GET",
            )[0]
            found.append((path, value, status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 16 * 24
    assert {s for _, _, s in found} == {200, 304}
    assert all(s == 304 for p, v, s in found if v in (etags[t] for t in targets if t[0] == p))
    assert all(s == 200 for _, v, s in found if v in ('"other"', ",,x"))


#: Paths opened by this process while :data:`OPENS` is being recorded (an audit hook, added once).
OPENS: list[str] = []
RECORDING: list[bool] = []


def _record(event: str, args: tuple[object, ...]) -> None:
    if RECORDING and event in ("open", "sqlite3.connect") and args:
        OPENS.append(str(args[0]))


def test_serving_an_old_release_opens_only_the_files_it_needs(three: Path) -> None:
    """Once a worker has checked an old release, its home, a memento, a TimeMap and a file open
    that release's SHA256SUMS, its resource index and the file asked for: never its dumps."""
    sys.addaudithook(_record)
    client = client_for(three)
    first = sorted(p.name for p in three.iterdir() if not p.is_symlink())[0]
    asked = [
        (f"/releases/{first}/", "text/turtle"),
        (f"/releases/{first}/", "text/html"),
        (f"/releases/{first}/id/project/jatoc", "text/html"),
        ("/timemap/id/project/jatoc", "*/*"),
        (f"/releases/{first}/validation.ttl", "*/*"),
    ]
    for recording in (False, True):  # the first time, the release is checked: every file read
        if recording:
            RECORDING.append(True)
        try:
            for path, accept in asked:
                with client.get(path, headers={"Accept": accept}) as response:
                    assert response.status_code == 200, path
        finally:
            RECORDING.clear()
    opened = {Path(p.split("?")[0]).name for p in OPENS if f"/{first}/" in p}
    assert opened <= {"SHA256SUMS", "resources.sqlite", "validation.ttl"}, opened
    assert "validation.ttl" in opened and not any(name.startswith("psfkg.") for name in opened)
