"""The source-page parser, and the coverage check: every heading and partner line is in data/."""

from __future__ import annotations

from pathlib import Path

import pytest

from psfkg.build.records import load
from psfkg.build.tables import Records
from psfkg.errors import RecordError
from psfkg.sources.cbss import parse_file, parse_text
from psfkg.sources.importer import compare

from ..conftest import DATA

PAGES = sorted((DATA / "sources").glob("*.txt"))


@pytest.fixture(scope="module")
def records() -> Records:
    return load(DATA)


@pytest.mark.parametrize("page_file", PAGES, ids=lambda p: p.name)
def test_every_heading_and_partner_line_is_in_data(page_file: Path, records: Records) -> None:
    page = parse_file(page_file, [c.label for c in records.countries])
    assert page.headings and page.entries
    assert [str(c) for c in compare(page, records)] == []


def test_past_projects_page_counts(records: Records) -> None:
    page = parse_file(
        DATA / "sources" / "cbss-psf-past-projects.txt", [c.label for c in records.countries]
    )
    assert len(page.headings) == 27
    assert len(page.entries) == 167
    assert {h.section for h in page.headings} == {
        "Regional Identity",
        "Sustainable & Prosperous Region",
        "Safe & Secure Region",
    }


def test_a_line_packing_two_countries_is_split() -> None:
    text = (
        "Regional Identity Projects\n\n2015-2016 Culinary Routes\n\nProject partners:\n\n"
        "Estonia – NGO Estonian Rural Tourism Estonia – Olustvere School of Rural Economics,\n"
    )
    entries = parse_text("p.txt", text, ["Estonia"]).entries
    assert [(e.country, e.name) for e in entries] == [
        ("Estonia", "NGO Estonian Rural Tourism"),
        ("Estonia", "Olustvere School of Rural Economics"),
    ]


def test_semicolons_separate_organisations_and_dashes_inside_names_stay() -> None:
    text = (
        "Regional Identity Projects\n\n2013 X\n\nProject partners:\n\n"
        "Germany – Landesjugendring Schleswig – Holstein\nRussia – A; B;  C,\n"
    )
    entries = parse_text("p.txt", text, ["Germany", "Russia"]).entries
    assert [e.name for e in entries] == ["Landesjugendring Schleswig – Holstein", "A", "B", "C"]


def test_remark_is_data_not_part_of_the_name() -> None:
    text = (
        "Regional Identity Projects\n\n2015 X\n\nProject partners:\n\n"
        "Germany – Mecklenburg-Vorpommern Tourist Board (not funded by PSF)\n"
    )
    (entry,) = parse_text("p.txt", text, ["Germany"]).entries
    assert (entry.name, entry.remark) == (
        "Mecklenburg-Vorpommern Tourist Board",
        "not funded by PSF",
    )


def test_non_breaking_spaces_do_not_hide_a_partner_list() -> None:
    text = (
        "Regional Identity Projects\n\n2016 X\n\n"
        "Project\u00a0Partners:\n\nEstonia –\u00a0\u00a0Unitas Foundation\n"
    )
    (entry,) = parse_text("p.txt", text, []).entries
    assert entry.name == "Unitas Foundation"


def test_kickoff_layout_coordinator_and_bulleted_partners() -> None:
    text = (
        "Project kick-off: ABC\n\nProject coordinator:\n\nThe Secretariat,\n\nProject partners:\n\n"
        "  • Laurea University of Applied Science, Finland\n"
        "  • Fire and Rescue Department of Lithuania\n"
    )
    page = parse_text("k.txt", text)
    assert page.headings[0].short_name == "ABC"
    assert [(e.role, e.name, e.country) for e in page.entries] == [
        ("coordinator", "The Secretariat", None),
        ("partner", "Laurea University of Applied Science", "Finland"),
        ("partner", "Fire and Rescue Department of Lithuania", None),
    ]


def test_a_new_partner_line_is_reported_as_an_addition(tmp_path: Path, records: Records) -> None:
    page_file = tmp_path / "cbss-psf-past-projects.txt"
    text = (DATA / "sources" / "cbss-psf-past-projects.txt").read_text(encoding="utf-8")
    page_file.write_text(
        text.replace("Lund University", "Lund University; Malmö University"), encoding="utf-8"
    )
    changes = compare(parse_file(page_file, [c.label for c in records.countries]), records)
    assert [(c.action, c.what) for c in changes] == [("add", "participation")]
    assert "Malmö University" in str(changes[0])


@pytest.mark.parametrize(
    ("content", "reason"), [(b"ok\n\xff bad\n", "not UTF-8"), (b"ok\nNUL \x00\n", "NUL")]
)
def test_a_page_that_is_not_text_names_its_line(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes(content)
    with pytest.raises(RecordError) as raised:
        parse_file(page)
    (problem,) = raised.value.problems
    assert (problem.file, problem.line) == ("page.txt", 2) and reason in problem.message
