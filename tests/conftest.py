"""Fixtures: the PSF data is checked and built once per test run."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from psfkg.build import pipeline
from psfkg.config import PROJECT_ROOT, Settings
from psfkg.progress import Progress
from psfkg.query.remote import publish
from psfkg.release import latest
from psfkg.web import create_app
from psfkg.web.service import EXTENSION

from .live import live_server
from .sparql_http import W3C, sparql_endpoint
from .virtuoso import BINARY, Virtuoso, virtuoso

DATA = PROJECT_ROOT / "data"
#: A second base IRI, with another host and a path, under which the web suite runs too.
OTHER_BASE = "https://data.example.org/psf/"


@pytest.fixture(scope="session")
def checked() -> pipeline.Checked:
    """Steps 1-4 on the real data."""
    return pipeline.check(DATA, Progress(None))


def build(
    data: Path, out: Path, base: str = "https://w3id.org/psfkg/", *, reference: bool = False
) -> Path:
    """Build a release of ``data`` into ``out``, quietly; its folder."""
    return pipeline.build(data, out, base=base, progress=Progress(None), reference=reference).path


def client_for(releases: Path, env: dict[str, str] | None = None) -> FlaskClient:
    """A test client of the app, in-process, serving ``releases`` with settings ``env`` (the
    ``PSFKG_*`` variables) over the defaults."""
    settings = Settings.from_env({"PSFKG_RELEASES_DIR": str(releases), **(env or {})})
    return create_app({"SETTINGS": settings}).test_client()


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A releases folder holding one build of the real data."""
    out = tmp_path_factory.mktemp("releases")
    build(DATA, out)
    return out


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


#: The three edits :func:`edited_releases` makes, one release after another.
NEW_PROJECT = "ngos-in-the-bsr-follow-up"
REMOVED_PARTNERSHIP = "ngos-in-the-bsr--norden-association-in-sweden"
RENAMED_PROJECT = "cbss-youth-forum"


@pytest.fixture(scope="session")
def edited_releases(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three releases in one folder, oldest first: the real data; then a project added; then a
    partner removed and a project's title changed."""
    out, data = tmp_path_factory.mktemp("edited-releases"), tmp_path_factory.mktemp("edited")
    data = data / "data"
    shutil.copytree(DATA, data)
    built = [build(data, out)]
    projects = data / "projects.yaml"
    text = projects.read_text(encoding="utf-8")
    first = text[text.index("- key: ngos-in-the-bsr\n") : text.index("- key: cbss-youth-forum")]
    projects.write_text(text + first.replace("ngos-in-the-bsr", NEW_PROJECT), encoding="utf-8")
    next_second()
    built.append(build(data, out))
    rows = (data / "participations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [r for r in rows if not r.startswith("ngos-in-the-bsr,norden-association-in-sweden,")]
    assert len(kept) == len(rows) - 1
    (data / "participations.csv").write_text("".join(kept), encoding="utf-8")
    text = projects.read_text(encoding="utf-8")
    assert text.count("  title: CBSS Youth Forum 2013\n") == 1
    text = text.replace("  title: CBSS Youth Forum 2013\n", "  title: CBSS Youth Forum, 2013\n")
    projects.write_text(text, encoding="utf-8")
    next_second()
    built.append(build(data, out))
    return built


def next_second() -> None:
    """Wait for the clock's next second: a release's date is to the second, and Memento tells
    releases apart by their dates."""
    time.sleep(1.05 - time.time() % 1)


@pytest.fixture(scope="session")
def psf_server(releases: Path) -> Iterator[str]:
    """The real server (gunicorn) serving the PSF release on 127.0.0.1; yields its base URL."""
    with live_server(releases=releases) as base:
        yield base


@pytest.fixture(scope="session")
def protocol_endpoint() -> Iterator[str]:
    """The real server on the W3C protocol tests' dataset; yields its ``/sparql`` URL."""
    with sparql_endpoint([W3C / "protocol" / "dataset.trig"]) as url:
        yield url


@pytest.fixture(scope="session")
def psf_virtuoso(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A real Virtuoso on 127.0.0.1 holding the PSF release, loaded with ``psfkg publish``."""
    if BINARY is None:
        if os.environ.get("CI") == "true":
            pytest.fail("virtuoso-t is not installed: .ci/run installs virtuoso-opensource-7-bin")
        pytest.skip("virtuoso-t is not installed (apt-get install virtuoso-opensource-7-bin)")
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as running:
        current = latest(releases)
        assert current is not None
        publish(current / "psfkg.nq", running.gsp, user=running.user, password=running.password)
        yield running


@pytest.fixture(scope="session")
def other_releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A releases folder holding one build of the real data under :data:`OTHER_BASE`."""
    out = tmp_path_factory.mktemp("other-releases")
    build(DATA, out, OTHER_BASE)
    return out


@pytest.fixture(scope="session", params=["embedded", "virtuoso", "other-base"])
def app(request: pytest.FixtureRequest, releases: Path) -> Flask:
    """The app, in-process, serving the PSF release built for this run: on each store, and
    built under another base IRI (another host, and a path)."""
    env = {"PSFKG_RELEASES_DIR": str(releases), "PSFKG_QUERY_TIMEOUT": "5"}
    if request.param == "virtuoso":
        env["PSFKG_STORE"] = request.getfixturevalue("psf_virtuoso").sparql
    if request.param == "other-base":
        env["PSFKG_RELEASES_DIR"] = str(request.getfixturevalue("other_releases"))
    return create_app({"SETTINGS": Settings.from_env(env), "TESTING": True})


@pytest.fixture
def release_dir(app: Flask) -> Path:
    """The folder of the release ``app`` serves."""
    served: Path = app.extensions[EXTENSION].current.release.path
    return served


@pytest.fixture
def base(app: Flask) -> str:
    """The base IRI of the release ``app`` serves."""
    served: str = app.extensions[EXTENSION].current.base
    return served


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the in-process app."""
    return app.test_client()
