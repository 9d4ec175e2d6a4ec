"""The build's search step: search.sqlite in every release, listed and checksummed, and what
it finds in the PSF data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psfkg.index import Index
from psfkg.release import SEARCH, Published, file_sha256, latest

from ..conftest import OTHER_BASE


@pytest.fixture(scope="module")
def published(releases: Path) -> Published:
    found = latest(releases)
    assert found is not None
    return Published.open(found)


@pytest.fixture(scope="module")
def index(published: Published) -> Index:
    found = published.search_index()
    assert found is not None
    return found


def test_the_index_is_a_release_file_with_its_checksum(published: Published) -> None:
    path = published.path / SEARCH
    sums = (published.path / "SHA256SUMS").read_text().splitlines()
    assert f"{file_sha256(path)}  {SEARCH}" in sums
    listed = json.loads((published.path / "manifest.json").read_text())["files"][SEARCH]
    assert listed == {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def test_every_labelled_resource_is_indexed(index: Index) -> None:
    (jatoc,) = [h for h in index.search("JATOC").hits if h.type_label == "Project"]
    assert jatoc.iri == "https://w3id.org/psfkg/id/project/jatoc"
    assert jatoc.type_iri == "https://w3id.org/psfkg/def#Project"
    assert "Baltic Sea" in jatoc.description
    for q, cls in (
        ("Sweden", "Country"),
        ("SWE", "Country"),
        ("Lund University", "Organisation"),
        ("start year", "Datatype property"),
    ):
        assert index.search(q).hits[0].type_label == cls, q


def test_a_misspelt_organisation_is_found(index: Index) -> None:
    found = index.search("Univrsity of Trku")
    assert found.hits[0].iri == "https://w3id.org/psfkg/id/organisation/university-of-turku"
    assert found.corrected


def test_accents_do_not_matter(index: Index) -> None:
    for q in ("humboldt universitat", "HUMBOLDT-UNIVERSITÄT ZU BERLIN"):
        assert index.search(q).hits[0].label == "Humboldt-Universität zu Berlin"


def test_organisations_rank_above_their_participations(index: Index) -> None:
    types = [h.type_label for h in index.search("Finnish Border Guard", limit=3).hits]
    assert types[0] == "Organisation" and "Participation" in types[1:]


def test_iris_are_under_the_release_base(other_releases: Path) -> None:
    found = latest(other_releases)
    assert found is not None
    index = Published.open(found).search_index()
    assert index is not None
    hit = index.search("JATOC").hits[0]
    assert hit.iri == f"{OTHER_BASE}id/project/jatoc"
    assert hit.type_iri == f"{OTHER_BASE}def#Project"
