"""The vendored browser assets (``scripts/vendor-assets``) are what their ``vendor.json`` says:
each file's SHA-256, a licence beside them, built files only (no source maps)."""

from __future__ import annotations

import hashlib
import json

import pytest

from psfkg.config import PROJECT_ROOT

FOLDERS = {
    "@zazuko/yasgui": PROJECT_ROOT / "src/psfkg/web/static/vendor/yasgui",
    "axe-core": PROJECT_ROOT / "tests/vendor/axe-core",
}
#: The most the vendored files of a package may weigh: the built code, not its sources or maps.
MAX_BYTES = 1_500_000


@pytest.mark.parametrize("package", FOLDERS)
def test_vendored_files_match_their_checksums(package: str) -> None:
    folder = FOLDERS[package]
    record = json.loads((folder / "vendor.json").read_text(encoding="utf-8"))
    assert record["package"] == package
    assert record["version"].count(".") == 2
    present = {p.name for p in folder.iterdir()} - {"vendor.json"}
    assert present == set(record["sha256"]), "run scripts/vendor-assets"
    for name, digest in record["sha256"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("package", FOLDERS)
def test_vendored_files_carry_their_licence_and_no_source_maps(package: str) -> None:
    folder = FOLDERS[package]
    record = json.loads((folder / "vendor.json").read_text(encoding="utf-8"))
    licence = (folder / "LICENSE").read_text(encoding="utf-8")
    assert {"MIT": "MIT License", "MPL-2.0": "Mozilla Public License"}[record["license"]] in licence
    files = [p for p in folder.iterdir() if p.is_file()]
    assert not [p.name for p in files if p.suffix == ".map"]
    assert sum(p.stat().st_size for p in files) < MAX_BYTES


def test_the_pins_are_in_one_place() -> None:
    script = (PROJECT_ROOT / "scripts/vendor-assets").read_text(encoding="utf-8")
    for package, folder in FOLDERS.items():
        version = json.loads((folder / "vendor.json").read_text(encoding="utf-8"))["version"]
        assert f'"{package}",\n        "{version}",' in script, package


def test_the_served_assets_are_in_the_package_data() -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"web/static/vendor/yasgui/*"' in pyproject
