"""Browse lists as in Datasette: .csv and .json twins, several values per facet, sorting, paging,
and a clear 400 for what does not exist."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from psfkg.web.browse import MAX_SIZE


def doc(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.data
    found: dict[str, Any] = json.loads(response.data)
    return found


def iris(client: FlaskClient, query: str) -> set[str]:
    """The IRIs of every project the filters ``query`` leave, from the CSV (all rows)."""
    lines = client.get(f"/browse/projects.csv?{query}").data.decode().splitlines()[1:]
    return {line.split(",", 1)[0] for line in lines}


def test_every_list_has_csv_and_json_twins_with_the_same_filters(client: FlaskClient) -> None:
    response = client.get("/browse/projects?country=sweden")
    links = dict(
        re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', response.headers["Link"])
    )
    assert set(links.values()) == {"text/html", "text/csv", "application/json"}
    html = response.data.decode()
    assert "18 projects match the filters" in html
    for href, media_type in links.items():
        assert "country=sweden" in href
        assert href.replace("&", "&amp;") in html or media_type == "text/html"
        twin = client.get(href)
        assert twin.status_code == 200 and twin.mimetype == media_type, href
    listed = json.loads(client.get("/browse/projects.json?country=sweden").data)
    assert listed["total"] == 18 and len(listed["rows"]) == 18
    assert len(iris(client, "country=sweden")) == 18


def test_the_csv_of_a_filtered_list_opens_in_pandas(client: FlaskClient, base: str) -> None:
    import pandas  # a test dependency (pyproject.toml): what researchers open a CSV with

    body = client.get("/browse/projects.csv?country=sweden&country=finland&_sort=year").data
    frame = pandas.read_csv(io.BytesIO(body), encoding="utf-8")
    assert list(frame.columns[:4]) == ["iri", "label", "title", "year"]
    assert "country-iri" in frame.columns and "priority-area-iri" in frame.columns
    assert len(frame) == len(iris(client, "country=sweden&country=finland")) > 18
    assert frame["iri"].str.startswith(f"{base}id/project/").all()
    # RFC 4180 quoting keeps a label with a comma whole, and the years stay numbers.
    assert "Ageing Workforce, Social Cohesion and Sustainable Development" in set(frame["label"])
    assert frame["year"].dropna().is_monotonic_increasing
    organisations = pandas.read_csv(io.BytesIO(client.get("/browse/organisations.csv").data))
    assert len(organisations) == 171 and organisations["projects"].sum() > 171
    assert organisations["label"].str.contains("Södertörn").any()


def test_several_values_of_a_facet_or_and_facets_and(client: FlaskClient) -> None:
    sweden, finland = iris(client, "country=sweden"), iris(client, "country=finland")
    assert iris(client, "country=sweden&country=finland") == sweden | finland
    in_2016 = iris(client, "year=2016")
    assert iris(client, "country=sweden&country=finland&year=2016") == (sweden | finland) & in_2016
    # A label, in any case, means its slug; a value given twice counts once.
    assert iris(client, "country=Sweden&country=SWEDEN&country=sweden") == sweden
    listed = doc(client, "/browse/projects.json?country=Sweden&country=finland")
    assert listed["filters"] == {"country": ["sweden", "finland"]}


def test_facet_values_carry_counts_and_links_that_toggle_them(client: FlaskClient) -> None:
    facets = {f["facet"]: f for f in doc(client, "/browse/projects.json?country=sweden")["facets"]}
    years = {o["value"]: o["count"] for o in facets["year"]["options"]}
    assert sum(years.values()) == len(iris(client, "country=sweden&year=" + "&year=".join(years)))
    countries = {o["value"]: o for o in facets["country"]["options"]}
    # Counts within a facet ignore its own selection: Finland's count is Finland's projects.
    assert countries["finland"]["count"] == len(iris(client, "country=finland"))
    assert countries["sweden"]["active"] and not countries["finland"]["active"]
    html = client.get("/browse/projects?country=sweden").data.decode()
    assert 'href="/browse/projects?country=sweden&amp;country=finland">Finland</a>' in html
    assert re.search(r'href="/browse/projects" class="active"[^>]*>✓ Sweden</a>', html)


def test_sorting_by_each_column_is_stable_with_blanks_last(client: FlaskClient) -> None:
    for column in ("label", "title", "year", "priority-area", "funding-period", "country"):
        for way in ("_sort", "_sort_desc"):
            rows = doc(client, f"/browse/projects.json?{way}={column}&_size=1000")["rows"]
            assert len(rows) == 28
            again = doc(client, f"/browse/projects.json?{way}={column}&_size=1000")["rows"]
            assert rows == again
    rows = doc(client, "/browse/projects.json?_sort=year")["rows"]
    years = [r["year"] for r in rows]
    assert years[-1] is None and rows[-1]["label"] == "BALTinnoSEC"
    assert years[:-1] == sorted(years[:-1])
    down = doc(client, "/browse/projects.json?_sort_desc=year")["rows"]
    assert [r["year"] for r in down[:-1]] == sorted(years[:-1], reverse=True)
    assert down[-1]["label"] == "BALTinnoSEC"
    # Ties keep the order by label, whichever way the column goes.
    in_2016 = [r["label"] for r in down if r["year"] == 2016]
    assert in_2016 == sorted(in_2016, key=str.casefold)
    counts = [
        r["projects"] for r in doc(client, "/browse/organisations.json?_sort_desc=projects")["rows"]
    ]
    assert counts == sorted(counts, reverse=True)


def test_column_headings_sort_and_say_so(client: FlaskClient) -> None:
    html = client.get("/browse/projects?country=sweden").data.decode()
    assert 'href="/browse/projects?country=sweden&amp;_sort=year">Start year</a>' in html
    sorted_html = client.get("/browse/projects?country=sweden&_sort=year").data.decode()
    assert 'aria-sort="ascending"' in sorted_html and "sorted by start year" in sorted_html
    assert (
        'href="/browse/projects?country=sweden&amp;_sort_desc=year">Start year ▲</a>' in sorted_html
    )


def test_paging_has_totals_and_both_directions(client: FlaskClient) -> None:
    first = doc(client, "/browse/organisations.json?_size=50")
    assert (first["total"], first["pages"], first["page"]) == (171, 4, 1)
    assert first["previous_url"] is None and "_page=2" in first["next_url"]
    seen = [r["iri"] for r in first["rows"]]
    url = first["next_url"]
    while url:
        listed = doc(client, url)
        assert listed["previous_url"] is not None
        seen += [r["iri"] for r in listed["rows"]]
        url = listed["next_url"]
    assert len(seen) == len(set(seen)) == 171
    html = client.get("/browse/organisations?_size=50&_page=2").data.decode()
    assert "Page 2 of 4: 51–100 of 171" in html
    assert 'href="/browse/organisations?_size=50" rel="prev"' in html
    assert 'href="/browse/organisations?_size=50&amp;_page=3" rel="next"' in html
    assert doc(client, f"/browse/organisations.json?_size={10 * MAX_SIZE}")["size"] == MAX_SIZE
    # page= (the older name) is still read.
    assert "Page 2 of 2" in client.get("/browse/organisations?page=2").data.decode()


def test_a_page_past_the_last_is_an_empty_list_that_says_so(client: FlaskClient) -> None:
    response = client.get("/browse/organisations?_page=9")
    assert response.status_code == 200
    html = response.data.decode()
    assert "There is no page 9: the 171 organisations fill 2 page(s) of 100." in html
    assert 'href="/browse/organisations?_page=2" rel="prev"' in html
    empty = client.get("/browse/projects?country=iceland&year=2013").data.decode()
    assert "No projects match these filters together" in empty


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("country=atlantis", "no country 'atlantis' among the projects; country= takes one of:"),
        ("year=1066", "no start year '1066'"),
        ("_sort=nope", "the columns are: label, title, year, priority-area"),
        ("_sort=year&_sort_desc=year", "give _sort or _sort_desc, not both"),
        ("_page=abc", "_page must be a whole number from 1, not 'abc'"),
        ("_page=0", "_page must be a whole number from 1"),
        ("_size=-1", "_size must be a whole number from 1"),
        ("page=" + "9" * 5000, "_page must be a whole number from 1"),
        ("country=%3Cscript%3E", "no country '<script>'"),
    ],
)
def test_what_does_not_exist_is_a_400_naming_what_does(
    client: FlaskClient, query: str, said: str
) -> None:
    for suffix in ("", ".csv", ".json"):
        response = client.get(f"/browse/projects{suffix}?{query}")
        assert response.status_code == 400, (suffix, query)
        assert response.mimetype == "text/plain" and said in response.data.decode()
    assert "sweden" in client.get("/browse/projects?country=atlantis").data.decode()


def test_unknown_lists_and_formats_are_404(client: FlaskClient) -> None:
    assert client.get("/browse/events").status_code == 404
    assert client.get("/browse/projects.xml").status_code == 404
    assert client.get("/browse/projects.csv.json").status_code == 404


def test_the_chart_of_projects_per_year_says_what_it_leaves_out(client: FlaskClient) -> None:
    html = client.get("/").data.decode()
    assert (
        "27 of 28 projects; not drawn: BALTinnoSEC (its source gives no start year and no "
        "priority area)" in html
    )
