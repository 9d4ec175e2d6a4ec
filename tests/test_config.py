"""Settings: read from the environment, validated, and every one documented in the README."""

from __future__ import annotations

import pytest

from psfkg.cli import cli
from psfkg.config import PROJECT_ROOT, SETTINGS, Settings
from psfkg.errors import PsfkgError

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting: object) -> None:
    assert f"`{setting.env_var}`" in README  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented_with_its_options(command: str) -> None:
    rows = [line for line in README.splitlines() if line.startswith(f"| `psfkg {command}")]
    assert len(rows) == 1, f"the README's command table has no row for psfkg {command}"
    usage = rows[0].split("|")[1]
    for param in cli.commands[command].params:
        for option in param.opts:
            if option.startswith("--"):
                assert option in usage, f"psfkg {command}: {option} is not in the README"


def test_defaults_and_overrides() -> None:
    assert Settings.from_env({}).base_iri == "https://w3id.org/psfkg/"
    assert Settings.from_env({"PSFKG_RELEASES_DIR": "/tmp/r"}).releases_dir.as_posix() == "/tmp/r"


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://example.org/",
        "https://example.org/no-slash",
        "psfkg",
        "https://example.org/a b/",
        "https://example.org/?x=/",
        "https://example.org/#/",
        "https://example.org/<x>/",
        "https:///",
        "https://example.org/ ",
    ],
)
def test_a_bad_base_iri_is_refused(bad: str) -> None:
    with pytest.raises(PsfkgError, match="PSFKG_BASE_IRI"):
        Settings.from_env({"PSFKG_BASE_IRI": bad})


def test_long_slots_leave_half_the_workers_to_short_queries() -> None:
    slots = [Settings.from_env({"PSFKG_WORKERS": str(n)}).long_slots for n in (1, 2, 3, 8)]
    assert slots == [1, 1, 1, 4]
    assert Settings.from_env({"PSFKG_LONG_QUERIES": "0"}).long_slots == 0
    with pytest.raises(PsfkgError, match="PSFKG_LONG_QUERIES"):
        Settings.from_env({"PSFKG_LONG_QUERIES": "-1"})


@pytest.mark.parametrize("bad", ["-K", "127.0.0.1", "a b:1111", "-h:1111", "host:port"])
def test_a_bad_isql_address_is_refused(bad: str) -> None:
    with pytest.raises(PsfkgError, match="PSFKG_STORE_ISQL must be host:port"):
        Settings.from_env({"PSFKG_STORE_ISQL": bad})
    assert Settings.from_env({"PSFKG_STORE_ISQL": "[::1]:1111"}).store_isql == "[::1]:1111"
