"""Links come from configuration: an allowed Host, the public URL, or a trusted proxy's headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from psfkg.config import Settings
from psfkg.errors import PsfkgError

from ..conftest import client_for

PROXY = "10.1.2.3"


def catalogue(client: object, **kwargs: object) -> str:
    response = client.get(
        "/catalog", headers={"Accept": "text/turtle", **kwargs.pop("headers", {})}, **kwargs
    )  # type: ignore[attr-defined]
    assert response.status_code == 200, response.data
    return str(response.data.decode())


def test_an_unknown_host_is_refused_not_reflected(releases: Path) -> None:
    client = client_for(releases)
    refused = client.get("/catalog", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and b"PSFKG_ALLOWED_HOSTS" in refused.data
    assert refused.headers["Cache-Control"] == "no-store"
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", "w3id.org"):
        assert client.get("/-/health", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_and_any_host(releases: Path) -> None:
    client = client_for(releases, {"PSFKG_ALLOWED_HOSTS": "data.example.org"})
    assert "http://data.example.org/sparql" in catalogue(
        client, headers={"Host": "data.example.org"}
    )
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400
    anyone = client_for(releases, {"PSFKG_ALLOWED_HOSTS": "*"})
    assert "http://mirror.example/sparql" in catalogue(anyone, headers={"Host": "mirror.example"})


def test_the_public_url_makes_every_link_whatever_the_host(releases: Path) -> None:
    client = client_for(releases, {"PSFKG_PUBLIC_URL": "https://data.example.org/psf/"})
    turtle = catalogue(client, headers={"Host": "evil.example"})
    assert "https://data.example.org/psf/sparql" in turtle and "evil" not in turtle
    robots = client.get("/robots.txt", headers={"Host": "evil.example"}).data.decode()
    assert "Sitemap: https://data.example.org/psf/sitemap.xml" in robots


def test_forwarded_headers_count_only_from_a_trusted_proxy(releases: Path) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "data.example.org"}
    untrusted = client_for(releases, {"PSFKG_ALLOWED_HOSTS": "localhost,data.example.org"})
    turtle = catalogue(untrusted, headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert "https://" not in turtle.split("dcat:endpointURL")[1][:40]
    trusted = client_for(
        releases,
        {"PSFKG_ALLOWED_HOSTS": "data.example.org", "PSFKG_TRUSTED_PROXIES": "10.0.0.0/8"},
    )
    turtle = catalogue(
        trusted,
        headers={**forwarded, "X-Forwarded-Prefix": "/psf", "X-Forwarded-For": "192.0.2.7"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert "https://data.example.org/psf/sparql" in turtle


@pytest.mark.parametrize(
    ("name", "value"),
    [("PSFKG_TRUSTED_PROXIES", "10.0.0.0/8, nonsense"), ("PSFKG_PUBLIC_URL", "data.example.org")],
)
def test_bad_link_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(PsfkgError, match=name):
        Settings.from_env({name: value})


def test_under_a_path_prefix_every_link_carries_it(releases: Path) -> None:
    """Served at https://data.example.org/psf/ (a proxy strips /psf before psfkg sees it)."""
    client = client_for(releases, {"PSFKG_PUBLIC_URL": "https://data.example.org/psf/"})
    pages = ["/", "/browse/projects", "/id/project/jatoc", "/queries", "/query", "/def", "/dumps"]
    pages += [
        "/queries/projects-with-partner-from-country",
        "/validation",
        "/source/cbss-psf-past-projects",
        "/about/iris",
    ]
    followed = set()
    for path in pages:
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', response.data.decode())
        assert all(link.startswith("/psf/") for link in links), (path, links[:5])
        for header in ("Link", "Content-Location"):
            for target in re.findall(r"<(/[^>]*)>", response.headers.get(header, "")) or (
                [response.headers[header]] if header in response.headers else []
            ):
                assert target.startswith("/psf/"), (path, header, target)
        followed.update(link.split("#")[0] for link in links if "/static/" not in link)
    for link in sorted(followed)[:60]:
        answer = client.get(link.removeprefix("/psf"))
        assert answer.status_code == 200, link
        answer.close()
    listing = client.get("/dumps", headers={"Accept": "text/html"}).data.decode()
    assert 'href="https://data.example.org/psf/dumps/psfkg.ttl"' in listing
