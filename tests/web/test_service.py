"""What the web tier serves comes from the release alone, under its base, one dataset rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, VOID, Graph, URIRef

from psfkg.build import pipeline
from psfkg.config import Settings
from psfkg.release import latest, point_latest
from psfkg.web import create_app

from ..conftest import DATA, build, client_for
from ..live import live_server
from ..sparql_http import fetch
from ..test_release import resummed

NAMED = "projects-with-partner-from-country"


def rows(response: object) -> list[dict[str, object]]:
    doc = json.loads(response.data)  # type: ignore[attr-defined]
    found: list[dict[str, object]] = doc["results"]["bindings"]
    return found


def test_browse_named_queries_and_charts_follow_the_base(client: FlaskClient) -> None:
    html = client.get("/browse/projects").data.decode()
    assert "28 project" in html or ">28<" in html
    for name in (NAMED, "projects-by-funding-period", "top-organisations"):
        response = client.get(f"/queries/{name}.json")
        assert response.status_code == 200 and rows(response), name
    for chart in ("projects-per-year", "co-participation"):
        svg = client.get(f"/charts/{chart}.svg").data.decode()
        assert svg.count("<rect") + svg.count("<line") > 5, chart


def test_the_landing_page_counts_come_from_the_release(client: FlaskClient) -> None:
    html = client.get("/").data.decode()
    assert "<strong>28</strong>" in html and "<strong>13</strong>" in html


def test_query_and_sparql_apply_the_same_dataset_rule(client: FlaskClient, base: str) -> None:
    query = f"SELECT * FROM <{base}graph/metadata> WHERE {{ ?s ?p ?o }}"
    by_sparql = rows(client.get(f"/sparql?query={quote(query)}&format=json"))
    page = client.get(f"/query?query={quote(query)}").data.decode()
    assert 0 < len(by_sparql) < 100
    assert page.count("<tr>") - 1 == len(by_sparql)


def test_the_metadata_graph_is_a_resource(client: FlaskClient, base: str) -> None:
    response = client.get("/graph/metadata", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle")
    assert (URIRef(base + "graph/metadata"), RDF.type, VOID.Dataset) in graph


def test_the_default_graph_is_the_set_union_of_the_graphs(tmp_path: Path) -> None:
    data = tmp_path / "dup.trig"
    data.write_text(
        "<http://e.org/s> <http://e.org/p> <http://e.org/o> .\n"
        "<http://e.org/g1> { <http://e.org/s> <http://e.org/p> <http://e.org/o> . }\n"
        "<http://e.org/g2> { <http://e.org/s> <http://e.org/p> <http://e.org/o> . }\n"
    )
    settings = Settings.from_env({"PSFKG_RELEASES_DIR": str(tmp_path)})
    client = create_app({"SETTINGS": settings, "FILES": [data]}).test_client()
    both = "FROM <http://e.org/g1> FROM <http://e.org/g2>"
    for query, expected in (
        ("SELECT ?s WHERE { ?s ?p ?o }", 1),
        ("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", 2),
        (f"SELECT ?s {both} WHERE {{ ?s ?p ?o }}", 1),
        (f"SELECT ?g {both} FROM NAMED <http://e.org/g1> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", 1),
        ("SELECT ?s FROM NAMED <http://e.org/g1> WHERE { ?s ?p ?o }", 0),
    ):
        assert len(rows(client.get(f"/sparql?query={quote(query)}&format=json"))) == expected
    graphs = "default-graph-uri=http://e.org/g1&default-graph-uri=http://e.org/g2"
    by_protocol = client.get(f"/sparql?query={quote('SELECT * { ?s ?p ?o }')}&{graphs}")
    assert len(rows(by_protocol)) == 1
    counted = rows(client.get(f"/sparql?query={quote('SELECT (COUNT(*) AS ?n) { ?s ?p ?o }')}"))
    assert counted[0]["n"]["value"] == "1"  # type: ignore[index]


def test_the_web_tier_reads_no_checkout_file(tmp_path: Path) -> None:
    """Named queries and source pages come from the release, so a switch switches them."""
    queries = tmp_path / "queries"
    queries.mkdir()
    shutil.copy(pipeline.QUERIES_DIR / f"{NAMED}.rq", queries)
    releases = tmp_path / "releases"
    first = build(DATA, releases)
    original, pipeline.QUERIES_DIR = pipeline.QUERIES_DIR, queries
    try:
        second = build(DATA, releases)
    finally:
        pipeline.QUERIES_DIR = original
    point_latest(releases, first.name)
    client = client_for(releases, {"PSFKG_DATA_DIR": str(tmp_path / "no-data")})
    assert client.get("/queries/top-organisations").status_code == 200
    assert client.get("/source/cbss-psf-past-projects.txt").data.startswith(b"cbss.org")
    point_latest(releases, second.name)
    holder = client.application.extensions["psfkg"]
    holder._checked = 0.0  # look at latest now, not in a second
    assert client.get("/queries/top-organisations").status_code == 404
    assert client.get(f"/queries/{NAMED}.json").status_code == 200


def test_a_synthetic_release_serves_its_own_source_page(tmp_path: Path) -> None:
    from psfkg.sources import synth

    data = tmp_path / "synth"
    synth.write(data, projects=3, seed=1)
    build(data, tmp_path / "releases")
    text = client_for(tmp_path / "releases").get("/source/synthetic-projects.txt")
    assert text.status_code == 200 and text.mimetype == "text/plain"


def test_a_release_copied_alone_is_served_with_everything(releases: Path, tmp_path: Path) -> None:
    """The release folder, copied where no checkout is, served by `psfkg serve` from there."""
    current = latest(releases)
    assert current is not None
    alone = tmp_path / "elsewhere"
    alone.mkdir()
    shutil.copytree(current, alone / current.name)
    point_latest(alone, current.name)
    env = {"PSFKG_DATA_DIR": str(tmp_path / "nothing-here")}
    with live_server(releases=alone, env=env) as url:
        for path in (
            "/",
            "/browse/projects",
            "/queries",
            f"/queries/{NAMED}.csv?country=FI",
            "/source/cbss-psf-past-projects",
            "/source/cbss-psf-past-projects.txt",
            "/catalog",
            "/.well-known/void",
            "/validation",
            "/id/project/jatoc",
            "/def",
        ):
            response = fetch("GET", url + path)
            assert response.status_code == 200 and response.content, path
        assert fetch("GET", url + f"/queries/{NAMED}.csv?country=FI").text.count("\n") > 1


def test_catalogue_and_void_need_no_dump(app: Flask) -> None:
    """They are read from the release's own small files, never computed from psfkg.nq."""
    client = app.test_client()
    for path in ("/catalog", "/.well-known/void"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200
    with app.app_context():
        from psfkg.web.service import releases

        cached = set(releases().current.cache)
    assert "dataset" not in cached


def test_a_release_that_cannot_be_loaded_is_refused_once_and_the_last_good_one_served(
    releases: Path, tmp_path: Path
) -> None:
    from psfkg.web import service as serving

    folder = tmp_path / "releases"
    folder.mkdir()
    good = latest(releases)
    assert good is not None
    shutil.copytree(good, folder / good.name)
    bad = folder / "99999999T000000Z"
    shutil.copytree(good, bad)
    (bad / "void.nt").write_text("this is not N-Triples\n")
    resummed(bad)
    point_latest(folder, good.name)
    client = client_for(folder)
    holder = client.application.extensions["psfkg"]
    calls = []
    loaded = serving.Service.from_release

    def counted(settings: Settings, path: Path) -> serving.Service:
        calls.append(path.name)
        return loaded(settings, path)

    point_latest(folder, bad.name)
    serving.Service.from_release = counted  # type: ignore[method-assign]
    try:
        for _ in range(3):
            holder._checked = 0.0
            assert client.get("/").status_code == 200
    finally:
        serving.Service.from_release = loaded  # type: ignore[method-assign]
    assert calls == [bad.name]
    health = client.get("/-/health").get_json()
    assert health["status"] == "degraded" and "cannot be served" in health["problem"]
    assert health["release"] == good.name
    # At start-up, the same release is passed over for the good one before it.
    assert client_for(folder).get("/-/health").get_json()["release"] == good.name


def test_a_dump_the_checksums_do_not_list_is_not_served(releases: Path, tmp_path: Path) -> None:
    folder = tmp_path / "releases"
    good = latest(releases)
    assert good is not None
    shutil.copytree(good, folder / good.name)
    sums = (folder / good.name / "SHA256SUMS").read_text().splitlines()
    kept = [line for line in sums if not line.endswith("  psfkg.ttl")]
    (folder / good.name / "SHA256SUMS").write_text("".join(f"{line}\n" for line in kept))
    point_latest(folder, good.name)
    client = client_for(folder)
    assert (
        client.get("/dumps/psfkg.ttl", headers={"Accept-Encoding": "identity"}).status_code == 404
    )
    served = client.get("/dumps/psfkg.nt")
    assert served.status_code == 200
    served.close()


def test_a_files_server_has_no_charts_catalogue_or_void(tmp_path: Path) -> None:
    data = tmp_path / "one.nt"
    data.write_text("<http://e.org/s> <http://e.org/p> <http://e.org/o> .\n")
    settings = Settings.from_env({"PSFKG_RELEASES_DIR": str(tmp_path)})
    client = create_app({"SETTINGS": settings, "FILES": [data]}).test_client()
    for path in ("/charts/projects-per-year.svg", "/charts/co-participation.svg", "/catalog"):
        assert client.get(path).status_code == 404, path
    assert client.get("/.well-known/void").status_code == 404
