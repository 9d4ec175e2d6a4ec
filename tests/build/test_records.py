"""Bad records stop the build with a message naming file, line and field; good ones load."""

from __future__ import annotations

from pathlib import Path

import pytest

from psfkg.build.records import load
from psfkg.errors import PsfkgError, RecordError

from ..conftest import DATA


def test_the_psf_data_loads() -> None:
    records = load(DATA)
    assert len(records.projects) == 28
    assert len(records.countries) == 13
    assert len(records.priority_areas) == 3
    assert len(records.participations) == 180


def problems_after(data: Path, file: str, old: str, new: str) -> list[str]:
    path = data / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load(data)
    return [str(p) for p in caught.value.problems]


def line_of(data: Path, file: str, needle: str) -> int:
    lines = (data / file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "message"),
    [
        (
            "organisations.csv",
            "lund-university,Lund University",
            ",Lund University",
            "key",
            "missing value",
        ),
        (
            "organisations.csv",
            "lund-university,Lund University,,,sweden",
            "lund-university,Lund University,,,narnia",
            "country",
            "unknown country 'narnia'",
        ),
        (
            "participations.csv",
            "ageing-workforce-social-cohesion-and-sustainable-development,lund-university",
            "ageing-workforce-social-cohesion-and-sustainable-development,lund-universty",
            "organisation",
            "broken reference to organisations 'lund-universty'",
        ),
        (
            "participations.csv",
            "lund-university,partner",
            "lund-university,sponsor",
            "role",
            "is not one of",
        ),
        (
            "funding-periods.csv",
            "psf-2016,psf,PSF funding 2016,2016,2016",
            "psf-2016,psf,PSF funding 2016,2016,3016",
            "end_year",
            "year 3016 out of range",
        ),
        (
            "countries.csv",
            "sweden,Sweden,,SE",
            "sweden,Sweden,,SWE",
            "iso_alpha2",
            "does not match",
        ),
        (
            "participations.csv",
            "cbss-psf-past-projects.txt:411",
            "cbss-psf-past-projects.txt:99999",
            "source",
            "has only",
        ),
        (
            "events.csv",
            "2022-02-24,2022-02-24",
            "2022-02-30,2022-02-24",
            "start_date",
            "is not a date",
        ),
    ],
)
def test_a_bad_field_is_named_with_file_and_line(
    data_copy: Path, file: str, old: str, new: str, field: str, message: str
) -> None:
    line = line_of(data_copy, file, old)
    problems = problems_after(data_copy, file, old, new)
    assert any(p.startswith(f"{file}:{line} [{field}]") and message in p for p in problems), (
        problems
    )


def test_unknown_priority_area_in_yaml_names_the_line(data_copy: Path) -> None:
    line = line_of(data_copy, "projects.yaml", "priority_area: safe-and-secure-region")
    problems = problems_after(
        data_copy,
        "projects.yaml",
        "priority_area: safe-and-secure-region",
        "priority_area: safe-and-sound-region",
    )
    assert (
        f"projects.yaml:{line} [priority_area]: unknown priority area 'safe-and-sound-region'"
        in problems
    )


def test_duplicate_key(data_copy: Path) -> None:
    path = data_copy / "countries.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "sweden,Sweden,,SE,SWE,752,Q34,SWE,cbss-psf-past-projects.txt:24\n", encoding="utf-8"
    )
    with pytest.raises(RecordError) as caught:
        load(data_copy)
    (problem,) = caught.value.problems
    assert problem.line == len(text.splitlines()) + 1
    assert "duplicate key 'sweden' (first at line" in str(problem)


def test_end_before_start(data_copy: Path) -> None:
    problems = problems_after(
        data_copy,
        "projects.yaml",
        "  start_year: 2016\n  end_year: 2017",
        "  start_year: 2016\n  end_year: 2015",
    )
    assert any("[end_year]: end year 2015 is before start year 2016" in p for p in problems)


def test_bad_encoding_names_the_line(data_copy: Path) -> None:
    path = data_copy / "organisations.csv"
    raw = path.read_bytes().replace(
        "Arbetsförmedlingen".encode(), "Arbetsf\xf6rmedlingen".encode("latin-1"), 1
    )
    path.write_bytes(raw)
    with pytest.raises(RecordError) as caught:
        load(data_copy)
    (problem,) = caught.value.problems
    assert problem.file == "organisations.csv"
    assert problem.line == line_of(DATA, "organisations.csv", "Arbetsförmedlingen")
    assert "not UTF-8" in problem.message


def test_malformed_yaml_names_the_line(data_copy: Path) -> None:
    path = data_copy / "projects.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- key: [unclosed\n", encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load(data_copy)
    assert "projects.yaml:" in str(caught.value)
    assert "malformed YAML" in str(caught.value)


def test_unknown_column_is_refused(data_copy: Path) -> None:
    problems = problems_after(data_copy, "countries.csv", "key,label,", "key,name,")
    assert any(p.startswith("countries.csv:1: unknown column(s) name") for p in problems)


def test_every_problem_is_reported_at_once(data_copy: Path) -> None:
    path = data_copy / "organisations.csv"
    text = path.read_text(encoding="utf-8").replace(",sweden,", ",narnia,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load(data_copy)
    assert len(caught.value.problems) > 20


def test_missing_directory_is_an_error_not_a_record_problem(tmp_path: Path) -> None:
    with pytest.raises(PsfkgError) as caught:
        load(tmp_path / "absent")
    assert not isinstance(caught.value, RecordError)


def test_a_source_page_that_is_not_utf8_is_a_problem(data_copy: Path) -> None:
    page = data_copy / "sources" / "cbss-baltinnosec-kickoff.txt"
    page.write_bytes(page.read_text(encoding="utf-8").encode("latin-1", "replace") + b"\xe9\n")
    with pytest.raises(RecordError, match=r"cbss-baltinnosec-kickoff\.txt:.*not UTF-8"):
        load(data_copy)
