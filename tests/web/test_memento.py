"""Memento (RFC 7089) through the real server: three releases built from edited data."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest

from psfkg.release import Published, latest

from ..conftest import NEW_PROJECT
from ..live import live_server

ADDED = NEW_PROJECT
CHANGED, OLD_LABEL, NEW_LABEL = (
    "cbss-youth-forum",
    "CBSS Youth Forum 2013",
    "CBSS Youth Forum, 2013",
)
REMOVED = "id/participation/ngos-in-the-bsr--norden-association-in-sweden"


@pytest.fixture(scope="module")
def three(edited_releases: list[Path]) -> tuple[Path, list[Published]]:
    """Release 1: the data; 2: a project added; 3: a partner removed and a project's title
    changed (see ``edited_releases``)."""
    out = edited_releases[0].parent
    assert latest(out) == edited_releases[-1]
    return out, [Published.open(p) for p in edited_releases]


@pytest.fixture(scope="module")
def server(three: tuple[Path, list[Published]]) -> Iterator[str]:
    with live_server(releases=three[0], workers=1) as base:
        yield base


def get(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    """Status, headers and text of a GET, errors included."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def date_of(release: Published) -> datetime:
    return datetime.fromisoformat(release.manifest["date"].replace("Z", "+00:00"))


def parse_link_format(text: str) -> list[tuple[str, dict[str, str]]]:
    """Entries of an ``application/link-format`` document (RFC 6690): (URI, attributes)."""
    found = []
    for uri, attrs in re.findall(r"<([^>]*)>((?:\s*;\s*[a-z]+=\"[^\"]*\")*)", text):
        found.append((uri, dict(re.findall(r'([a-z]+)="([^"]*)"', attrs))))
    return found


def test_accept_datetime_before_release_2_gives_release_1(
    server: str, three: tuple[Path, list[Published]]
) -> None:
    releases = three[1]
    first, second = date_of(releases[0]), date_of(releases[1])
    assert first < second
    asked = format_datetime(first, usegmt=True)
    status, headers, body = get(
        f"{server}/id/project/{CHANGED}", **{"Accept-Datetime": asked, "Accept": "text/turtle"}
    )
    assert status == 200, body
    assert OLD_LABEL in body and f'"{NEW_LABEL}"' not in body
    assert parsedate_to_datetime(headers["Memento-Datetime"]) == first
    assert "accept-datetime" in headers["Vary"].lower()
    assert headers["Content-Location"] == f"/releases/{releases[0].name}/id/project/{CHANGED}"
    links = parse_link_format(headers["Link"])
    rels = {a["rel"]: u for u, a in links}
    assert rels["original timegate"] == f"{server}/id/project/{CHANGED}"
    assert any("memento" in a["rel"].split() and releases[0].name in u for u, a in links)
    assert "timemap" in rels
    # Without the header: the current version, naming its TimeMap.
    status, headers, body = get(f"{server}/id/project/{CHANGED}", Accept="text/turtle")
    assert status == 200 and f'"{NEW_LABEL}"' in body and "Memento-Datetime" not in headers
    assert f'<{server}/timemap/id/project/{CHANGED}>; rel="timemap"' in headers["Link"]


def test_before_the_first_release_is_the_first(
    server: str, three: tuple[Path, list[Published]]
) -> None:
    status, headers, _ = get(
        f"{server}/id/project/{CHANGED}.nt",
        **{"Accept-Datetime": "Tue, 20 Mar 2001 20:35:00 GMT"},
    )
    assert status == 200 and parsedate_to_datetime(headers["Memento-Datetime"]) == date_of(
        three[1][0]
    )
    status, _, body = get(f"{server}/id/project/{CHANGED}", **{"Accept-Datetime": "yesterday"})
    assert status == 400 and "Accept-Datetime" in body


def test_timemap_lists_every_release(server: str, three: tuple[Path, list[Published]]) -> None:
    releases = three[1]
    status, headers, body = get(f"{server}/timemap/id/project/{CHANGED}")
    assert status == 200 and headers["Content-Type"].startswith("application/link-format")
    entries = parse_link_format(body)
    mementos = [(u, a) for u, a in entries if "memento" in a["rel"].split()]
    assert [u for u, _ in mementos] == [
        f"{server}/releases/{r.name}/id/project/{CHANGED}" for r in releases
    ]
    assert [parsedate_to_datetime(a["datetime"]) for _, a in mementos] == [
        date_of(r) for r in releases
    ]
    (me,) = [a for _, a in entries if a["rel"] == "self"]
    assert me["type"] == "application/link-format" and "from" in me and "until" in me
    status, _, body = get(f"{server}/timemap/id/project/{ADDED}.json")
    assert status == 200
    assert [m["release"] for m in json.loads(body)["mementos"]] == [r.name for r in releases[1:]]


def test_a_past_page_says_it_is_not_current(
    server: str, three: tuple[Path, list[Published]]
) -> None:
    first = three[1][0]
    status, headers, body = get(
        f"{server}/releases/{first.name}/id/project/{CHANGED}", Accept="text/html"
    )
    assert status == 200 and "Memento-Datetime" in headers
    assert "This is not the current version" in body and first.name in body
    assert f'href="/id/project/{CHANGED}"' in body and OLD_LABEL in body


def test_a_removed_partnership_is_gone(server: str, three: tuple[Path, list[Published]]) -> None:
    second = three[1][1]
    status, headers, body = get(f"{server}/{REMOVED}", Accept="text/turtle")
    assert status == 410, body
    last = f"{server}/releases/{second.name}/{REMOVED}"
    assert last in body and last in headers["Link"] and headers["Link"].count('rel="timemap"') == 1
    status, _, body = get(f"{server}/{REMOVED}", Accept="text/html")
    assert status == 410 and f'href="/releases/{second.name}/{REMOVED}"' in body
    status, _, body = get(last, Accept="text/turtle")
    assert status == 200 and "Norden Association in Sweden" in body
    status, _, _ = get(f"{server}/id/project/never-was", Accept="text/turtle")
    assert status == 404
    status, _, _ = get(f"{server}/releases/{second.name}/id/project/never-was")
    assert status == 404


def test_a_record_path_too_long_for_a_release_is_404_never_500(server: str) -> None:
    long = "/id/project/" + "a" * 1100  # past what a release's index is asked for
    assert get(server + long)[0] == 404
    assert get(server + long, **{"Accept-Datetime": "Tue, 20 Mar 2001 20:35:00 GMT"})[0] == 404


@pytest.mark.parametrize(
    "path", ["def", "dataset", "graph/ontology", "source/cbss-psf-past-projects"]
)
def test_every_kind_of_resource_is_its_own_timegate(
    server: str, three: tuple[Path, list[Published]], path: str
) -> None:
    """Not records only: the ontology, the dataset, a named graph and a source page too."""
    first = three[1][0]
    status, headers, body = get(
        f"{server}/{path}",
        **{
            "Accept-Datetime": format_datetime(date_of(first), usegmt=True),
            "Accept": "application/n-triples",
        },
    )
    assert status == 200, body
    assert parsedate_to_datetime(headers["Memento-Datetime"]) == date_of(first)
    assert headers["Content-Location"] == f"/releases/{first.name}/{path}"
    assert f"<https://w3id.org/psfkg/{path}>" in body
    status, headers, body = get(f"{server}/timemap/{path}")
    assert status == 200 and body.count('rel="') >= 3 + 3, body
    status, headers, body = get(f"{server}/releases/{first.name}/{path}", Accept="text/html")
    assert status == 200 and "This is not the current version" in body
    status, headers, _ = get(f"{server}/{path}", Accept="text/turtle")
    assert status == 200 and f'<{server}/timemap/{path}>; rel="timemap"' in headers["Link"]


def test_a_source_pages_text_has_no_mementos(server: str) -> None:
    """The text of a source page is the copy on disk: asked with a time, it is still the text."""
    status, headers, _body = get(
        f"{server}/source/cbss-psf-past-projects.txt",
        **{"Accept-Datetime": "Tue, 20 Mar 2001 20:35:00 GMT"},
    )
    assert status == 200 and "Memento-Datetime" not in headers
    assert headers["Content-Type"].startswith("text/plain")


def test_paths_that_are_no_resource_have_no_timemap(server: str) -> None:
    for path in ("timemap/", "timemap/nothing", "timemap/id", "timemap/defs", "timemap/sparql"):
        assert get(f"{server}/{path}")[0] == 404, path


def test_accept_datetime_in_each_form_of_an_http_date_and_in_other_zones(
    server: str, three: tuple[Path, list[Published]]
) -> None:
    """IMF-fixdate, RFC 850's form and asctime's (RFC 9110 section 5.6.7: a recipient must
    read all three) name the same time, as does a date with another zone; far past gives the
    first release, far future the last."""
    _, (first, second, third) = three
    when = date_of(second)
    forms = [
        format_datetime(when, usegmt=True),
        when.strftime("%A, %d-%b-%y %H:%M:%S GMT"),
        when.strftime("%a %b ") + f"{when.day:>2}" + when.strftime(" %H:%M:%S %Y"),
        format_datetime(when.astimezone(timezone(timedelta(hours=5)))),
    ]
    for value, expected in [
        *((form, second) for form in forms),
        ("Mon, 01 Jan 0001 00:00:00 GMT", first),
        ("Thu, 01 Jan 1970 00:00:00 GMT", first),
        ("Fri, 31 Dec 9999 23:59:59 GMT", third),
    ]:
        status, headers, body = get(f"{server}/id/project/{CHANGED}", **{"Accept-Datetime": value})
        assert status == 200, (value, body)
        assert headers["Content-Location"] == f"/releases/{expected.name}/id/project/{CHANGED}"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2001-03-20T20:35:00Z",
        "Tue, 20 Mar 2001 20:35:00",  # no zone, and not asctime's form
        "Tue, 32 Mar 2001 20:35:00 GMT",
        "Tue, 20 Mar 2001 25:35:00 GMT",
        "Sat, 01 Jan 10000 00:00:00 GMT",
        "Tue, 20 Mar 2001 20:35:00 -9999",
        "Tue, 20 Mar 2001 20:35:00 GMT" + "x" * 4000,
        "\u00e9t\u00e9",
    ],
)
def test_a_malformed_accept_datetime_is_a_clear_400(server: str, value: str) -> None:
    for path in (f"/id/project/{CHANGED}", "/def", "/graph/asserted", "/dataset.ttl"):
        request = urllib.request.Request(server + path)
        request.add_header("Accept-Datetime", value.encode("utf-8").decode("latin-1"))
        try:
            urllib.request.urlopen(request)
            raise AssertionError(f"{value!r} accepted at {path}")
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8")
            assert error.code == 400, (value, path, body)
            assert "Accept-Datetime" in body and "is not an HTTP-date" in body
            assert len(body) < 400  # the value is quoted, cut short


def test_a_huge_accept_datetime_is_refused_by_the_server_never_a_500(server: str) -> None:
    status = get(f"{server}/id/project/{CHANGED}", **{"Accept-Datetime": "x" * 20000})[0]
    assert 400 <= status < 500


def test_a_past_version_of_a_project_is_drawn_as_its_current_page(
    server: str, three: tuple[Path, list[Published]]
) -> None:
    """The partners table and the inferred marks, as the current page has them, under the
    notice; the partner since removed is in release 2's table and not in the current one."""
    second = three[1][1]
    _, _, now = get(f"{server}/id/project/ngos-in-the-bsr", Accept="text/html")
    status, _, then = get(
        f"{server}/releases/{second.name}/id/project/ngos-in-the-bsr", Accept="text/html"
    )
    assert status == 200 and "This is not the current version" in then
    assert "This is not the current version" not in now
    for drawn in ('<h2 id="partners-h">Partners</h2>', 'class="inferred'):
        assert drawn in now and drawn in then, drawn
    partner = "/id/organisation/norden-association-in-sweden"
    partners = [page.split('id="partners-h"')[1].split("</table>")[0] for page in (now, then)]
    assert partner not in partners[0] and partner in partners[1]
    assert partners[1].count("<tr><td>") == partners[0].count("<tr><td>") + 1
    assert f'href="/releases/{second.name}/id/project/ngos-in-the-bsr.ttl"' in then
    assert "Query this" in now and "Query this" not in then  # it would ask the current graph
