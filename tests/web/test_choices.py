"""Named-query parameters offer the release's values and read a code, a slug or a label in any
case; a value the release does not have is answered with those it has."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient

COUNTRY = "/queries/projects-with-partner-from-country"
PARTNERS = "/queries/partners-of-project"


def csv_rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.data
    return list(csv.DictReader(io.StringIO(response.data.decode())))


@pytest.mark.parametrize("value", ["SE", "se", "Sweden", "sweden", "SWEDEN", " Sweden "])
def test_a_code_a_slug_or_a_label_in_any_case_means_the_country(
    client: FlaskClient, value: str
) -> None:
    sweden = csv_rows(client, f"{COUNTRY}.csv?country=SE")
    assert len(sweden) == 28
    assert csv_rows(client, f"{COUNTRY}.csv?country={value}") == sweden
    html = client.get(f"{COUNTRY}?country={value}").data.decode()
    assert "<caption>28 row(s)</caption>" in html
    assert '<option value="SE" selected>Sweden (SE)</option>' in html
    assert f'href="{COUNTRY}.csv?country=SE"' in html


def test_the_form_offers_exactly_the_countries_of_the_release(client: FlaskClient) -> None:
    html = client.get(COUNTRY).data.decode()
    select = re.search(r'<select id="p-country" name="country">(.*?)</select>', html, re.S)
    assert select is not None
    options = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+) \(\1\)</option>', select[1])
    assert len(options) == 13 and ("IS", "Iceland") in options and ("UA", "Ukraine") in options
    assert [label for _, label in options] == sorted(label for _, label in options)


def test_a_project_by_its_slug_or_label(client: FlaskClient, base: str) -> None:
    by_iri = csv_rows(client, f"{PARTNERS}.csv?project={base}id/project/jatoc")
    assert by_iri and csv_rows(client, f"{PARTNERS}.csv?project=jatoc") == by_iri
    assert csv_rows(client, f"{PARTNERS}.csv?project=JATOC") == by_iri
    html = client.get(f"{PARTNERS}?project=jatoc").data.decode()
    assert f'<option value="{base}id/project/jatoc" selected>JATOC</option>' in html


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"{COUNTRY}?country=XX", "This release has no country XX"),
        (f"{COUNTRY}?country=%3Cb%3Ebold%3C%2Fb%3E", "This release has no country &lt;b&gt;bold"),
        (f"{PARTNERS}?project=no-such-project", "This release has no project no-such-project"),
    ],
)
def test_a_value_the_release_lacks_lists_those_it_has(
    client: FlaskClient, url: str, said: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "text/html"
    html = response.data.decode()
    assert said in html and "<b>bold" not in html
    assert "The values of" in html and "(not in this release)</option>" in html
    assert ">Sweden (SE)</a>" in html or ">JATOC</a>" in html


def test_the_data_forms_keep_their_answers_for_unknown_values(client: FlaskClient) -> None:
    assert csv_rows(client, f"{COUNTRY}.csv?country=XX") == []
    assert client.get(f"{PARTNERS}.csv?project=no-such-project").status_code == 400


def test_projects_per_year_says_which_projects_it_leaves_out(client: FlaskClient) -> None:
    html = client.get("/queries/projects-per-priority-area-and-year").data.decode()
    assert (
        "Not counted here, for want of a fact in the source: BALTinnoSEC (its source gives no"
        in html
    )
