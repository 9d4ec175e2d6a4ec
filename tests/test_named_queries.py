"""Each named query, with its expected answer on the PSF data; and the front-matter format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from psfkg.build.pipeline import QUERIES_DIR
from psfkg.errors import PsfkgError, QueryRejected
from psfkg.named_queries import load, parse


def rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.data
    return list(csv.DictReader(io.StringIO(response.data.decode())))


def test_every_query_has_a_title_a_description_and_a_test() -> None:
    queries = load(QUERIES_DIR)
    assert len(queries) >= 7
    for query in queries.values():
        assert query.title and query.description
        assert f"test_{query.name.replace('-', '_')}" in globals(), query.name


def test_projects_per_priority_area_and_year(client: FlaskClient) -> None:
    found = {
        (r["priorityAreaLabel"], r["year"]): int(r["projects"])
        for r in rows(client, "/queries/projects-per-priority-area-and-year.csv")
    }
    assert sum(found.values()) == 27  # BALTinnoSEC has no priority area or year in the source
    assert found[("Regional Identity", "2013")] == 5
    assert found[("Safe & Secure Region", "2016")] == 3
    assert found[("Sustainable & Prosperous Region", "2018")] == 1


def test_top_organisations(client: FlaskClient) -> None:
    found = rows(client, "/queries/top-organisations.csv")
    assert len(found) == 9
    assert {r["projects"] for r in found} == {"2"}
    assert {
        "University of Turku",
        "The Finnish Border Guard",
        "Saint Petersburg State University of Economics",
    } <= {r["organisationLabel"] for r in found}


def test_country_co_participation(client: FlaskClient) -> None:
    found = {
        (r["country1Label"], r["country2Label"]): int(r["projects"])
        for r in rows(client, "/queries/country-co-participation.csv")
    }
    assert len(found) == 63
    assert found[("Poland", "Sweden")] == 12
    assert max(found.values()) == 12


def test_projects_with_partner_from_country(client: FlaskClient) -> None:
    sweden = rows(client, "/queries/projects-with-partner-from-country.csv")
    assert {r["country"] for r in sweden} == {"SE"}
    assert len({r["project"] for r in sweden}) == 18
    iceland = rows(client, "/queries/projects-with-partner-from-country.csv?country=IS")
    assert [(r["projectLabel"], r["organisationLabel"]) for r in iceland] == [
        ("BALANCE", "Icelandic Coast Guard")
    ]


def test_partners_of_project(client: FlaskClient, base: str) -> None:
    ID = base + "id/"
    found = rows(client, f"/queries/partners-of-project.csv?project={ID}project/balance")
    assert len(found) == 12
    leads = [r["organisationLabel"] for r in found if r["roleLabel"] == "lead partner"]
    assert leads == ["The Finnish Border Guard"]
    baltinnosec = rows(client, f"/queries/partners-of-project.csv?project={ID}project/baltinnosec")
    assert sorted(r["roleLabel"] for r in baltinnosec).count("partner") == 8
    assert {r["roleLabel"] for r in baltinnosec} == {"coordinator", "funder", "partner"}


def test_organisations_in_several_priority_areas(client: FlaskClient) -> None:
    found = {
        r["organisationLabel"]: r["priorityAreas"]
        for r in rows(client, "/queries/organisations-in-several-priority-areas.csv")
    }
    assert found == {
        "Saint Petersburg State University of Economics": "2",
        "University of Turku": "2",
    }


def test_projects_by_funding_period(client: FlaskClient) -> None:
    found = {
        r["periodLabel"]: (r["stated"], r["listed"], len(r["projects"].split(" | ")))
        for r in rows(client, "/queries/projects-by-funding-period.csv")
    }
    assert found == {
        "First PSF period": ("23", "18", 18),
        "PSF funding 2016": ("3", "5", 5),
        "PSF funding 2017": ("5", "3", 3),
    }


def test_json_and_html_forms(client: FlaskClient) -> None:
    doc = json.loads(client.get("/queries/top-organisations.json").data)
    assert len(doc["results"]["bindings"]) == 9
    html = client.get("/queries/top-organisations").data.decode()
    assert "University of Turku" in html and 'href="/id/organisation/university-of-turku"' in html


@pytest.mark.parametrize("value", ['SE" } UNION { ?s ?p ?o', "SE'; DROP", "<http://x>"])
def test_parameters_are_bound_as_terms_not_pasted(client: FlaskClient, value: str) -> None:
    assert rows(client, f"/queries/projects-with-partner-from-country.csv?country={value}") == []


def test_a_bad_iri_parameter_is_a_400(client: FlaskClient) -> None:
    response = client.get("/queries/partners-of-project.csv?project=javascript:alert(1)")
    assert response.status_code == 400
    assert b"must be an http(s) IRI" in response.data


def test_front_matter_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "no-title.rq").write_text("SELECT * {}")
    with pytest.raises(PsfkgError, match=r"queries/no-title.rq: no '# title:' line"):
        load(tmp_path)
    with pytest.raises(PsfkgError, match="malformed param line"):
        parse("x", "# title: X\n# param: n number\nSELECT ?n {}")
    with pytest.raises(QueryRejected, match="whole number"):
        parse("x", "# title: X\n# param: n integer 1 -- n\nSELECT ?n {}").bind({"n": "1e9"})
    with pytest.raises(PsfkgError, match="malformed choices line"):
        parse("x", "# title: X\n# param: c literal SE -- c\n# choices: c Country\nSELECT ?c {}")
    with pytest.raises(PsfkgError, match="choices for no parameter: d"):
        parse("x", "# title: X\n# param: c literal SE -- c\n# choices: d psf:Country\nSELECT ?c {}")
