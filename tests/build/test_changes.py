"""What changed between releases: the patch, its two N-Quads twins and the changelog."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox

from psfkg.release import ADDED, CHANGES, PATCH, REMOVED, Published, apply_patch

from ..conftest import DATA, NEW_PROJECT, REMOVED_PARTNERSHIP, RENAMED_PROJECT, build

ID = "https://w3id.org/psfkg/id/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def _quads(release: Path) -> set[str]:
    return set((release / "psfkg.nq").read_text(encoding="utf-8").splitlines())


def test_the_patches_applied_in_order_give_the_last_release_exactly(
    edited_releases: list[Path],
) -> None:
    first, *later = edited_releases
    quads = _quads(first)
    assert any(q.startswith("_:") for q in quads), "the ontology's lists are blank nodes"
    for release in later:
        quads = apply_patch(quads, (release / PATCH).read_text(encoding="utf-8"))
        assert quads == _quads(release)


def test_a_patch_is_rdf_patch_and_its_twins_hold_the_same_quads(
    edited_releases: list[Path],
) -> None:
    _, second, third = edited_releases
    rows = (third / PATCH).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("H id <urn:uuid:") and rows[1].startswith("H prev <urn:uuid:")
    assert rows[1].split()[2] == (second / PATCH).read_text().splitlines()[0].split()[2]
    assert rows[2] == "TX ." and rows[-1] == "TC ."
    body = rows[3:-1]
    assert [r[2:] for r in body if r[0] == "D"] == (third / REMOVED).read_text().splitlines()
    assert [r[2:] for r in body if r[0] == "A"] == (third / ADDED).read_text().splitlines()
    for name in (ADDED, REMOVED):  # real N-Quads, sorted
        lines = (third / name).read_text().splitlines()
        assert lines == sorted(lines)
        list(ox.parse((third / name).read_bytes(), format=ox.RdfFormat.N_QUADS))


def test_the_first_release_has_no_patch_and_the_others_list_theirs(
    edited_releases: list[Path],
) -> None:
    first, *later = edited_releases
    assert not any((first / n).exists() for n in (PATCH, ADDED, REMOVED, CHANGES))
    for release in later:
        published = Published.open(release)  # the checksums hold
        assert {PATCH, ADDED, REMOVED, CHANGES} <= published.names
        assert {PATCH, ADDED, REMOVED, CHANGES} <= set(published.manifest["files"])


def test_each_changelog_names_exactly_its_edit(edited_releases: list[Path]) -> None:
    _, second, third = edited_releases
    log = json.loads((second / CHANGES).read_text())
    assert log["previous"] == edited_releases[0].name
    assert log["added"] == [f"{ID}project/{NEW_PROJECT}"]
    assert log["removed"] == []
    # The one statement the new project changes: its funding period's count of projects.
    assert log["changed"] == [
        {
            "resource": f"{ID}funding-period/psf-2013-2015",
            "statements": [
                {
                    "property": "https://w3id.org/psfkg/def#listedProjectCount",
                    "old": [f'"18"^^<{XSD_INTEGER}>'],
                    "new": [f'"19"^^<{XSD_INTEGER}>'],
                }
            ],
        }
    ]
    log = json.loads((third / CHANGES).read_text())
    assert log["added"] == []
    assert log["removed"] == [f"{ID}participation/{REMOVED_PARTNERSHIP}"]
    changed = {c["resource"]: c["statements"] for c in log["changed"]}
    assert changed == {
        f"{ID}project/ngos-in-the-bsr": [
            {
                "property": "https://w3id.org/psfkg/def#hasParticipation",
                "old": [f"<{ID}participation/{REMOVED_PARTNERSHIP}>"],
                "new": [],
            }
        ],
        f"{ID}project/{RENAMED_PROJECT}": [
            {
                "property": "https://w3id.org/psfkg/def#title",
                "old": ['"CBSS Youth Forum 2013"@en'],
                "new": ['"CBSS Youth Forum, 2013"@en'],
            }
        ],
    }


def test_a_build_of_the_same_data_changes_nothing(tmp_path: Path) -> None:
    first, second = build(DATA, tmp_path), build(DATA, tmp_path)
    assert _quads(first) == _quads(second)
    rows = (second / PATCH).read_text().splitlines()
    assert rows[2:] == ["TX .", "TC ."]
    assert (second / ADDED).read_bytes() == (second / REMOVED).read_bytes() == b""
    log = json.loads((second / CHANGES).read_text())
    assert (log["added"], log["removed"], log["changed"]) == ([], [], [])


def test_the_files_are_compared_a_line_at_a_time_or_as_sets_when_out_of_order(
    edited_releases: list[Path], tmp_path: Path
) -> None:
    """The two sorted psfkg.nq are merged a line at a time (memory holds the difference, not
    the releases); a file out of order (an older psfkg's) is compared as sets, with the same
    result."""
    from psfkg.build.changes import compare

    first, second, _ = edited_releases
    merged = compare(first, second, ID.removesuffix("id/"))
    shuffled = tmp_path / "older"
    shuffled.mkdir()
    lines = (first / "psfkg.nq").read_text(encoding="utf-8").splitlines(keepends=True)
    (shuffled / "psfkg.nq").write_text("".join(reversed(lines)), encoding="utf-8")
    as_sets = compare(shuffled, second, ID.removesuffix("id/"))
    assert as_sets[CHANGES] == merged[CHANGES].replace(first.name.encode(), b"older")
    assert as_sets[ADDED] == merged[ADDED] and as_sets[REMOVED] == merged[REMOVED]
    assert merged[ADDED] == (second / ADDED).read_bytes()
