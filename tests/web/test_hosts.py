"""Links come from configuration: an allowed Host, the public URL, or a trusted proxy's headers."""

from __future__ import annotations

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
