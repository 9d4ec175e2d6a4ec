"""What changed in each release, through the real server: the changelog page and JSON, the RDF
Patch, and the Atom feed of releases (parsed by feedparser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
import requests

from psfkg.release import PATCH, apply_patch

from ..conftest import NEW_PROJECT, REMOVED_PARTNERSHIP, RENAMED_PROJECT
from ..live import live_server


@pytest.fixture(scope="module")
def server(edited_releases: list[Path]) -> Iterator[str]:
    """The real server over the three edited releases."""
    with live_server(releases=edited_releases[0].parent, workers=1) as base:
        yield base


def test_the_patches_served_reproduce_the_last_release(
    server: str, edited_releases: list[Path]
) -> None:
    first, *later = edited_releases
    quads = set((first / "psfkg.nq").read_text().splitlines())
    for release in later:
        response = requests.get(f"{server}/releases/{release.name}/changes.rdfp", timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/rdf-patch")
        assert response.content == (release / PATCH).read_bytes()
        quads = apply_patch(quads, response.text)
    served = requests.get(f"{server}/dumps/psfkg.nq", timeout=30).text.splitlines()
    assert quads == set(served)


def test_the_changelog_names_its_edits(server: str, edited_releases: list[Path]) -> None:
    first, second, third = edited_releases
    log = requests.get(f"{server}/releases/{second.name}/changes.json", timeout=30).json()
    assert [i.rsplit("/", 1)[1] for i in log["added"]] == [NEW_PROJECT]
    log = requests.get(
        f"{server}/releases/{third.name}/changes",
        headers={"Accept": "application/json"},
        timeout=30,
    ).json()
    assert [i.rsplit("/", 1)[1] for i in log["removed"]] == [REMOVED_PARTNERSHIP]
    labels = {c["resource"].rsplit("/", 1)[1]: c["statements"] for c in log["changed"]}
    assert labels[RENAMED_PROJECT][0]["label"] == "title"
    page = requests.get(f"{server}/releases/{third.name}/changes", timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "CBSS Youth Forum 2013" in page.text and "CBSS Youth Forum, 2013" in page.text
    assert REMOVED_PARTNERSHIP in page.text and 'href="/releases.atom"' in page.text
    page = requests.get(f"{server}/releases/{first.name}/changes", timeout=30)
    assert page.status_code == 200 and "The first release" in page.text
    patch = requests.get(f"{server}/releases/{first.name}/changes.rdfp", timeout=30)
    assert patch.status_code == 404  # a first release has no change files


def test_the_atom_feed_parses_with_one_entry_per_release(
    server: str, edited_releases: list[Path]
) -> None:
    response = requests.get(f"{server}/releases.atom", timeout=30)
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id and feed.feed.title and feed.feed.updated and feed.feed.author
    assert any(link.rel == "self" for link in feed.feed.links)
    names = [r.name for r in reversed(edited_releases)]
    assert [e.title for e in feed.entries] == [f"Release {n}" for n in names]
    assert len({e.id for e in feed.entries}) == 3
    for entry, name in zip(feed.entries, names, strict=True):
        assert entry.updated and entry.summary
        hrefs = {link.href.removeprefix(server) for link in entry.links}
        assert f"/releases/{name}/changes" in hrefs
        if name != edited_releases[0].name:
            assert f"/releases/{name}/changes.rdfp" in hrefs
    home = requests.get(f"{server}/", timeout=30).text
    assert '<link rel="alternate" type="application/atom+xml" href="/releases.atom"' in home


@pytest.mark.parametrize(
    "path",
    [
        "/releases/nope/changes",
        "/releases/latest/changes.json",
        "/releases/../changes",
        "/releases/%2e%2e/changes.rdfp",
        "/releases/" + "9" * 3000 + "/changes",
        "/releases/<script>/changes",
    ],
)
def test_bad_ids_are_404(server: str, path: str) -> None:
    response = requests.get(f"{server}{path}", headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.headers["Content-Type"].startswith("text/html"):  # the releases' own 404 page
        assert "<script>" not in response.text  # what the URL says is never markup
    else:
        assert response.headers["Content-Type"].startswith(("text/plain", "application/json"))
    assert "9" * 100 not in response.text  # a long id is cut short
