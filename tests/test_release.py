"""Releases: complete, checksummed, deterministic, and atomic."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from psfkg.errors import ValidationFailed
from psfkg.namespaces import NAMED_GRAPHS
from psfkg.release import CHECKSUMS, FILES, MANIFEST, latest

from .conftest import DATA, build


def test_a_release_has_every_file_its_gzip_and_checksums(releases: Path) -> None:
    current = latest(releases)
    assert current is not None
    names = {p.name for p in current.iterdir()}
    assert names == {*FILES, *(f"{n}.gz" for n in FILES), MANIFEST, CHECKSUMS}
    for name in FILES:
        assert (
            gzip.decompress((current / f"{name}.gz").read_bytes()) == (current / name).read_bytes()
        )
    for line in (current / CHECKSUMS).read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((current / name).read_bytes()).hexdigest() == digest


def test_manifest(releases: Path) -> None:
    current = latest(releases)
    assert current is not None
    manifest = json.loads((current / MANIFEST).read_text())
    assert set(manifest["triples"]) == {str(g) for g in NAMED_GRAPHS}
    assert manifest["triples"]["https://w3id.org/psfkg/graph/asserted"] > 2000
    assert set(manifest["sources"]) == {p.name for p in (DATA / "sources").glob("*.txt")}
    assert manifest["version"] and manifest["date"].endswith("Z")


def test_the_dumps_agree(releases: Path) -> None:
    current = latest(releases)
    assert current is not None
    turtle = Graph().parse(current / "psfkg.ttl")
    assert isomorphic(turtle, Graph().parse(current / "psfkg.nt"))
    assert isomorphic(turtle, Graph().parse(current / "psfkg.jsonld", format="json-ld"))
    dataset = Dataset()
    dataset.parse(current / "psfkg.nq", format="nquads")
    assert {str(g.identifier) for g in dataset.graphs() if len(g)} == {str(g) for g in NAMED_GRAPHS}
    compacted = json.loads((current / "psfkg.jsonld").read_text())
    assert compacted["@context"] == json.loads((current / "context.jsonld").read_text())["@context"]


def test_two_builds_give_byte_identical_dumps(releases: Path, tmp_path: Path) -> None:
    first = latest(releases)
    second = build(DATA, tmp_path)
    assert first is not None
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert (first / f"{name}.gz").read_bytes() == (second / f"{name}.gz").read_bytes(), name


def test_a_failed_validation_leaves_the_last_release_untouched(
    data_copy: Path, tmp_path: Path
) -> None:
    good = build(data_copy, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    events = data_copy / "events.csv"
    events.write_text(
        events.read_text(encoding="utf-8").replace(
            "2022-02-24,2022-02-24", "2022-02-25,2022-02-24"
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        ValidationFailed, match=r"events.csv:3 event/baltinnosec-kick-off-meeting: Event"
    ):
        build(data_copy, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert latest(tmp_path) == good


def test_another_base_iri_moves_every_minted_iri(tmp_path: Path) -> None:
    current = build(DATA, tmp_path, base="http://localhost:8000/")
    text = (current / "psfkg.nq").read_text()
    assert "<https://w3id.org/psfkg/" not in text
    assert "<http://localhost:8000/id/project/jatoc>" in text


def test_the_reference_engines_give_byte_identical_dumps(releases: Path, tmp_path: Path) -> None:
    """owlrl and pySHACL (--reference) against the compiled rules and shapes: same release."""
    fast = latest(releases)
    assert fast is not None
    reference = build(DATA, tmp_path, reference=True)
    for name in ("psfkg.nq", "psfkg.ttl", "psfkg.nt", "psfkg.jsonld"):
        assert (fast / name).read_bytes() == (reference / name).read_bytes(), name
