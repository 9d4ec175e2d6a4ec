"""Releases: complete, checksummed, deterministic, and atomic."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from rdflib import RDF, SH, Dataset, Graph, Literal
from rdflib.compare import isomorphic

from psfkg.build.pipeline import QUERIES_DIR
from psfkg.config import PROJECT_ROOT
from psfkg.errors import ReleaseError, ValidationFailed
from psfkg.namespaces import DEFAULT_BASE, NAMED_GRAPHS, PSF
from psfkg.release import (
    CATALOG,
    CHECKSUMS,
    FILES,
    MANIFEST,
    QUERIES,
    RESOURCES,
    SEARCH,
    SOURCES,
    VOID_FILE,
    Published,
    dataset_version,
    history,
    latest,
    next_dataset_version,
)

from .conftest import DATA, OTHER_BASE, build


def test_a_release_has_every_file_its_gzip_and_checksums(releases: Path) -> None:
    current = latest(releases)
    assert current is not None
    names = {str(p.relative_to(current)) for p in current.rglob("*") if p.is_file()}
    pages = {f"{SOURCES}/{p.name}" for p in (DATA / "sources").glob("*.txt")}
    queries = {f"{QUERIES}/{p.name}" for p in QUERIES_DIR.glob("*.rq")}
    assert names == {
        *FILES,
        *(f"{n}.gz" for n in FILES),
        MANIFEST,
        CHECKSUMS,
        CATALOG,
        VOID_FILE,
        SEARCH,
        RESOURCES,
        *pages,
        *queries,
    }
    listed = {line.split("  ")[1] for line in (current / CHECKSUMS).read_text().splitlines()}
    assert listed == names - {CHECKSUMS}
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


def test_another_base_iri_moves_every_minted_iri(other_releases: Path) -> None:
    current = latest(other_releases)
    assert current is not None
    for name in Published.open(current).names:
        if name.endswith((".gz", "SHA256SUMS", ".txt")):
            continue
        assert DEFAULT_BASE.encode() not in (current / name).read_bytes(), name
    nq = (current / "psfkg.nq").read_text()
    assert f"<{OTHER_BASE}id/project/jatoc>" in nq
    queries = (current / QUERIES / "projects-with-partner-from-country.rq").read_text()
    assert f"PREFIX psf: <{OTHER_BASE}def#>" in queries


def test_the_release_holds_what_the_server_reads(releases: Path) -> None:
    published = Published.open(latest(releases) or Path())
    assert (
        published.source_text("cbss-psf-past-projects")
        == (DATA / "sources" / "cbss-psf-past-projects.txt").read_bytes()
    )
    assert published.source_text("../../etc/passwd") is None
    assert sorted(published.named_queries()) == sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))
    assert published.file("psfkg.nq") is not None and published.file("data/projects.yaml") is None


def test_the_published_report_says_conforms_as_shacl_does(releases: Path) -> None:
    """sh:conforms is false beside any result (the PSF data has warnings); psfkg's own verdict,
    no violation, is psf:violations 0."""
    report = Graph().parse(latest(releases) / "validation.ttl")  # type: ignore[operator]
    assert len(set(report.subjects(RDF.type, SH.ValidationResult))) > 0
    assert set(report.objects(None, SH.conforms)) == {Literal(False)}
    assert set(report.objects(None, PSF.violations)) == {Literal(0)}


def test_a_release_that_lists_a_path_outside_it_is_refused(releases: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(latest(releases) or Path(), copy)
    with open(copy / CHECKSUMS, "a") as sums:
        sums.write(f"{'0' * 64}  ../outside\n")
    with pytest.raises(ReleaseError, match="corrupt"):
        Published.open(copy)


def test_the_reference_engines_give_byte_identical_dumps(releases: Path, tmp_path: Path) -> None:
    """owlrl and pySHACL (--reference) against the compiled rules and shapes: same release."""
    fast = latest(releases)
    assert fast is not None
    reference = build(DATA, tmp_path, reference=True)
    for name in ("psfkg.nq", "psfkg.ttl", "psfkg.nt", "psfkg.jsonld"):
        assert (fast / name).read_bytes() == (reference / name).read_bytes(), name


def test_a_release_of_an_older_psfkg_is_refused_with_the_reason(
    releases: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "old"
    shutil.copytree(latest(releases) or Path(), copy)
    (copy / CATALOG).unlink()
    sums = (copy / CHECKSUMS).read_text().splitlines()
    (copy / CHECKSUMS).write_text("".join(f"{s}\n" for s in sums if not s.endswith(CATALOG)))
    with pytest.raises(ReleaseError, match="built by an older psfkg"):
        Published.open(copy)


def resummed(folder: Path) -> None:
    """Write ``SHA256SUMS`` afresh for the files a (changed) release lists."""
    names = [line.split("  ")[1] for line in (folder / CHECKSUMS).read_text().splitlines()]
    sums = "".join(
        f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n"
        for n in names
        if (folder / n).exists()
    )
    (folder / CHECKSUMS).write_text(sums)


def test_a_manifest_without_what_the_server_reads_is_refused(
    releases: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "changed"
    shutil.copytree(latest(releases) or Path(), copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    del manifest["base_iri"]
    (copy / MANIFEST).write_text(json.dumps(manifest))
    resummed(copy)
    with pytest.raises(ReleaseError, match=r"manifest\.json's base_iri"):
        Published.open(copy)


def test_sha256sum_lines_in_either_mode_and_blank_lines_are_read(
    releases: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "binary"
    shutil.copytree(latest(releases) or Path(), copy)
    lines = (copy / CHECKSUMS).read_text().splitlines()
    binary = [line.replace("  ", " *", 1) for line in lines]
    (copy / CHECKSUMS).write_text("\n".join(binary) + "\n\n")
    assert Published.open(copy).names == {line.split("  ")[1] for line in lines}


def test_no_file_is_read_through_a_link_out_of_the_release(releases: Path, tmp_path: Path) -> None:
    copy = tmp_path / "linked"
    shutil.copytree(latest(releases) or Path(), copy)
    outside = tmp_path / "secret.txt"
    outside.write_text("not the release's\n")
    page = copy / SOURCES / "cbss-psf-past-projects.txt"
    page.unlink()
    page.symlink_to(outside)
    resummed(copy)
    published = Published.open(copy)
    assert published.source_text("cbss-psf-past-projects") is None


def test_history_lists_good_releases_oldest_first_with_their_dataset_versions(
    releases: Path, tmp_path: Path
) -> None:
    first = (releases / "latest").resolve()
    for name in ("20200101T000000Z", "20210101T000000Z", "20210101T000000Z-2"):
        shutil.copytree(first, tmp_path / name)
    (tmp_path / "20190101T000000Z").mkdir()  # not a release
    (tmp_path / "latest").symlink_to("20210101T000000Z-2")
    found = history(tmp_path)
    assert [r.name for r in found] == ["20200101T000000Z", "20210101T000000Z", "20210101T000000Z-2"]
    day = first.name[:4] + "-" + first.name[4:6] + "-" + first.name[6:8]
    assert dataset_version(found[0].manifest, found[0].name) == day.replace("-", ".")
    assert next_dataset_version(tmp_path, day) == day.replace("-", ".") + ".2"
    assert next_dataset_version(tmp_path, "1999-01-02") == "1999.01.02"
    assert dataset_version({"date": "2025-03-04T00:00:00Z"}, "x") == "2025.03.04"


def test_citation_cff_and_licence() -> None:
    cff = yaml.safe_load((PROJECT_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors"} <= cff.keys() and cff["license"] == "MIT"
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    licence = (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Code: MIT." in (
        PROJECT_ROOT / "README.md"
    ).read_text(encoding="utf-8")
