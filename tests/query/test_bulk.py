"""``psfkg publish --bulk`` into a real Virtuoso: counts, answers, reloads and clear errors."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psfkg.errors import PsfkgError
from psfkg.progress import Progress
from psfkg.query.bulk import bulk_publish
from psfkg.release import MANIFEST, Published, latest

from ..conftest import client_for
from ..live import free_port
from ..sparql_http import fetch
from ..test_release import resummed
from ..virtuoso import BINARY, ISQL, Virtuoso, virtuoso

#: Typed nodes per class: every graph's triples take part, the inferred types too.
BY_TYPE = "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type"
PROJECTS = "SELECT ?p WHERE { ?p a <https://w3id.org/psfkg/def#Project> } ORDER BY ?p"


def installed() -> None:
    """Skip without Virtuoso, but fail on CI, whose .ci/run installs it."""
    if BINARY is None or ISQL is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "virtuoso-t or isql-vt is missing: .ci/run installs virtuoso-opensource-7-bin"
            )
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource-7-bin)")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Virtuoso]:
    """An empty Virtuoso of its own (a refused login locks its address out for a minute)."""
    installed()
    with virtuoso(tmp_path) as running:
        yield running


@pytest.fixture
def release(releases: Path) -> Published:
    current = latest(releases)
    assert current is not None
    return Published.open(current)


def load(store: Virtuoso, release: Published, **changes: Any) -> dict[str, int]:
    options: dict[str, Any] = {
        "isql": store.isql,
        "load_dir": str(store.load_dir),
        "user": store.user,
        "password": store.password,
        "progress": Progress(None),
    }
    return bulk_publish(release, **(options | changes))


def rows(answer: bytes) -> list[tuple[str, ...]]:
    """SPARQL JSON results as sorted rows of values."""
    results = json.loads(answer)["results"]["bindings"]
    return sorted(tuple(b[v]["value"] for v in sorted(b)) for b in results)


def on_virtuoso(store: Virtuoso, release: Published, query: str) -> list[tuple[str, ...]]:
    """Virtuoso's own endpoint, the release's graphs as the default graph (as psfkg asks)."""
    graphs = [("default-graph-uri", g) for g in sorted(release.manifest["triples"])]
    answer = fetch(
        "POST",
        store.sparql,
        data=[("query", query), *graphs],
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200, answer.text
    return rows(answer.content)


def test_bulk_publish_loads_the_counts_and_answers_of_the_release(
    store: Virtuoso, release: Published, releases: Path
) -> None:
    counted = load(store, release)
    assert counted == release.manifest["triples"]
    own = client_for(releases)
    for query in (BY_TYPE, PROJECTS):
        served = own.get("/sparql", query_string={"query": query})
        assert served.status_code == 200
        assert on_virtuoso(store, release, query) == rows(served.data)
    assert len(on_virtuoso(store, release, PROJECTS)) == 28
    assert not list(store.load_dir.iterdir())  # the staged copy is gone


def test_publishing_twice_replaces_the_graphs(store: Virtuoso, release: Published) -> None:
    first = load(store, release)
    before = on_virtuoso(store, release, BY_TYPE)
    assert load(store, release) == first
    assert on_virtuoso(store, release, BY_TYPE) == before


def tampered(release: Published, folder: Path, name: str, data: bytes) -> Published:
    """A copy of the release with one file changed, and SHA256SUMS changed to match."""
    copy = folder / release.name
    shutil.copytree(release.path, copy)
    (copy / name).write_bytes(data)
    resummed(copy)
    return Published.open(copy)


#: The triples of every graph of the store whose IRI names psfkg (its staging graphs too).
GRAPHS = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g), 'psfkg')) }"
    " GROUP BY ?g"
)
ASSERTED = "https://w3id.org/psfkg/graph/asserted"


def in_store(store: Virtuoso) -> dict[str, int]:
    """The store's psfkg graphs and their triples, asked of Virtuoso's own endpoint."""
    answer = fetch(
        "POST",
        store.sparql,
        data=[("query", GRAPHS)],
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200, answer.text
    return {graph: int(n) for graph, n in rows(answer.content)}


def test_a_dump_the_loader_refuses_is_named_with_its_line_and_leaves_the_graphs(
    store: Virtuoso, release: Published, tmp_path: Path
) -> None:
    load(store, release)
    before = on_virtuoso(store, release, BY_TYPE)
    # The whole dump, then one line the loader rejects.
    dump = gzip.decompress(release.read("psfkg.nq.gz"))
    broken = dump + f'<urn:a> <urn:b> "unterminated <{ASSERTED}> .\n'.encode()
    with pytest.raises(PsfkgError, match=r"bulk loader failed on psfkg\.nq\.gz: .*line \d"):
        load(store, tampered(release, tmp_path, "psfkg.nq.gz", gzip.compress(broken)))
    assert in_store(store) == release.manifest["triples"]
    assert on_virtuoso(store, release, BY_TYPE) == before
    assert not list(store.load_dir.iterdir())


def test_a_quad_in_no_graph_of_the_manifest_is_named_with_its_line(
    store: Virtuoso, release: Published, tmp_path: Path
) -> None:
    stray = gzip.compress(b"<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(PsfkgError, match=r"psfkg\.nq\.gz line 1: the quad is in no graph"):
        load(store, tampered(release, tmp_path, "psfkg.nq.gz", stray))
    assert in_store(store) == {}


def test_a_count_that_differs_from_the_manifest_names_the_graph_and_leaves_the_graphs(
    store: Virtuoso, release: Published, tmp_path: Path
) -> None:
    load(store, release)
    manifest = dict(release.manifest)
    manifest["triples"] = manifest["triples"] | {ASSERTED: manifest["triples"][ASSERTED] + 1}
    wrong = tampered(release, tmp_path, MANIFEST, json.dumps(manifest).encode())
    actual = release.manifest["triples"][ASSERTED]
    expected = rf"<{ASSERTED}> holds {actual} triples .* manifest counts {actual + 1}"
    with pytest.raises(PsfkgError, match=rf"{expected} .*graphs are unchanged"):
        load(store, wrong)
    assert in_store(store) == release.manifest["triples"]


def test_a_folder_the_server_may_not_read_is_named(store: Virtuoso, release: Published) -> None:
    # Virtuoso allows /tmp whatever DirsAllowed says: /var/tmp is not in this one.
    outside = Path(tempfile.mkdtemp(prefix="psfkg-test-", dir="/var/tmp"))
    try:
        with pytest.raises(PsfkgError, match=r"may not read the load folder.*DirsAllowed"):
            load(store, release, load_dir=str(outside))
        assert not list(outside.iterdir())
    finally:
        shutil.rmtree(outside)
    with pytest.raises(PsfkgError, match="PSFKG_STORE_LOAD_DIR"):
        load(store, release, load_dir="")


def test_a_second_publish_through_the_same_folder_is_refused_and_changes_nothing(
    store: Virtuoso, release: Published
) -> None:
    load(store, release)
    # What the first publish holds while it loads: its own open of the folder, locked.
    handle = os.open(store.load_dir, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(PsfkgError, match=r"another psfkg publish --bulk is loading through"):
            load(store, release)
    finally:
        os.close(handle)
    assert in_store(store) == release.manifest["triples"]
    assert load(store, release) == release.manifest["triples"]  # the lock went with it


def test_a_load_folder_that_is_missing_a_file_or_not_writable_is_named(
    store: Virtuoso, release: Published, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    for folder in (tmp_path / "missing", tmp_path / "file"):
        with pytest.raises(PsfkgError, match=rf"load folder {folder} .* is not a folder"):
            load(store, release, load_dir=str(folder))
    # /proc takes no new files, not even root's.
    with pytest.raises(PsfkgError, match=r"psfkg may not write in the load folder /proc"):
        load(store, release, load_dir="/proc")
    assert in_store(store) == {}


def test_a_graph_iri_too_long_for_isqls_command_line_is_refused_and_changes_nothing(
    store: Virtuoso, release: Published, tmp_path: Path
) -> None:
    load(store, release)
    huge = "https://w3id.org/psfkg/graph/" + "m" * 200_000
    manifest = dict(release.manifest)
    manifest["triples"] = {
        (huge if graph == ASSERTED else graph): n for graph, n in manifest["triples"].items()
    }
    dump = gzip.decompress(release.read("psfkg.nq.gz")).replace(
        f"<{ASSERTED}> .".encode(), f"<{huge}> .".encode()
    )
    copy = tampered(release, tmp_path, "psfkg.nq.gz", gzip.compress(dump))
    (copy.path / MANIFEST).write_text(json.dumps(manifest))
    resummed(copy.path)
    with pytest.raises(PsfkgError, match=r"more than the 131072 .* graph IRI"):
        load(store, Published.open(copy.path))
    assert in_store(store) == release.manifest["triples"]
    assert not list(store.load_dir.iterdir())


def test_a_server_that_is_down_is_named(release: Published, tmp_path: Path) -> None:
    installed()
    down = Virtuoso("", "", f"127.0.0.1:{free_port()}", tmp_path)
    with pytest.raises(PsfkgError, match=r"not answering at 127\.0\.0\.1:\d+"):
        load(down, release)
    with pytest.raises(PsfkgError, match="line break"):
        load(down, release, password="dba\nselect 1")
    assert not list(tmp_path.iterdir())  # nothing staged is left behind


def psfkg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "psfkg", "publish", "--bulk", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **env},
        check=False,
        timeout=300,
    )


def test_the_command_loads_and_fails_clearly(store: Virtuoso, releases: Path) -> None:
    done = psfkg(store.env(), "--out", str(releases))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(latest(releases))
    assert "triples -> <https://w3id.org/psfkg/graph/asserted>" in done.stderr
    a_release = psfkg(store.env(), "--out", str(latest(releases)))
    assert a_release.returncode == 2
    assert "is a release, not a folder of releases" in a_release.stderr
    nothing = psfkg(store.env(), "--out", str(releases / "missing"))
    assert nothing.returncode == 2
    assert f"no release to publish in {releases / 'missing'}" in nothing.stderr
    no_isql = psfkg(
        store.env() | {"PATH": str(Path(sys.executable).parent)}, "--out", str(releases)
    )
    assert no_isql.returncode == 2
    assert "isql-vt is not installed" in no_isql.stderr
    # Last: a refused password locks this server's logins from 127.0.0.1 out for a minute.
    wrong = psfkg(store.env() | {"PSFKG_STORE_PASSWORD": "not-dba"}, "--out", str(releases))
    assert wrong.returncode == 2
    assert "refused the login of dba" in wrong.stderr
    assert "Traceback" not in wrong.stderr and "not-dba" not in wrong.stderr
