"""The psfkg command, run as a user would: exit codes, output, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import DATA


def psfkg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "psfkg", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
        timeout=300,
    )


def test_build_prints_the_release_directory_last(tmp_path: Path) -> None:
    run = psfkg("build", "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert Path(last).is_dir() and Path(last).parent == tmp_path
    for step in ("records", "mapping", "reasoning", "validation", "release"):
        assert step in run.stderr


def test_validate_conforms() -> None:
    run = psfkg("validate")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "conforms" in run.stdout


def test_bad_records_exit_1_with_file_line_field_and_no_traceback(data_copy: Path) -> None:
    path = data_copy / "organisations.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",lund-university,", ",lund-university,"),
        encoding="utf-8",
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("lund-university,"))
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Lund University,,,sweden", "Lund University,,,narnia"
        ),
        encoding="utf-8",
    )
    run = psfkg("validate", "--data", str(data_copy))
    assert run.returncode == 1
    assert f"organisations.csv:{line} [country]: unknown country 'narnia'" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_missing_data_directory_exits_2(tmp_path: Path) -> None:
    run = psfkg("build", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    assert "data directory not found" in run.stderr
    assert not (tmp_path / "out").exists()


def test_import_page_reports_no_difference_for_the_recorded_pages() -> None:
    run = psfkg("import-page", str(DATA / "sources" / "cbss-psf-past-projects.txt"))
    assert run.returncode == 0
    assert run.stdout.strip().endswith("0 difference(s) from " + str(DATA))


def test_validate_with_the_reference_engines() -> None:
    run = psfkg("validate", "--reference")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 violation(s), 6 warning(s): conforms" in run.stdout


def test_servers_share_no_gunicorn_control_socket() -> None:
    from psfkg.config import Settings
    from psfkg.serving import options

    assert options(Settings.from_env({}), "/tmp/x.sock")["control_socket_disable"] is True


def _five(releases: Path, tmp_path: Path) -> Path:
    """A folder of five good releases (copies of one under five names), latest the newest."""
    folder = tmp_path / "five"
    folder.mkdir()
    first = (releases / "latest").resolve()
    for year in range(2020, 2025):
        shutil.copytree(first, folder / f"{year}0101T000000Z")
    (folder / "latest").symlink_to("20240101T000000Z")
    return folder


def test_releases_lists_every_release_with_its_size_and_the_latest(
    releases: Path, tmp_path: Path
) -> None:
    folder = _five(releases, tmp_path)
    run = psfkg("releases", "--out", str(folder))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split()[0] for line in lines] == sorted(p.name for p in folder.iterdir())[:5]
    assert lines[-1].endswith("latest") and not any(x.endswith("latest") for x in lines[:-1])
    assert all(" MB" in line or " kB" in line for line in lines)


def test_prune_keeps_the_newest_the_latest_and_its_rollback(releases: Path, tmp_path: Path) -> None:
    folder = _five(releases, tmp_path)
    (folder / "latest").unlink()
    (folder / "latest").symlink_to("20220101T000000Z")  # rolled back twice
    (folder / "20190101T000000Z").mkdir()  # a folder that is not a release: never touched
    dry = psfkg("prune", "--out", str(folder), "--keep", "1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    # keep latest (2022), what it rolls back to (2021) and the newer (2023, 2024): 2020 goes
    assert len(dry.stdout.splitlines()) == 1
    assert dry.stdout.startswith("would remove 20200101T000000Z ")
    assert len(list(folder.iterdir())) == 7
    run = subprocess.run(
        [sys.executable, "-m", "psfkg", "prune", "--out", str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, "PSFKG_KEEP_RELEASES": "1"},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert [line.split()[:2] for line in run.stdout.splitlines()] == [
        ["removed", "20200101T000000Z"]
    ]
    left = sorted(p.name for p in folder.iterdir())
    assert left == [
        "20190101T000000Z",
        "20210101T000000Z",  # what latest rolls back to
        "20220101T000000Z",  # latest
        "20230101T000000Z",  # newer than latest: rolled back from
        "20240101T000000Z",  # the newest
        "latest",
    ]
    assert "keeping every release" in psfkg("prune", "--out", str(folder)).stderr
    assert psfkg("prune", "--out", str(folder), "--keep", "-1").returncode == 2


def test_prune_after_rollback_removes_nothing_newer_than_latest(
    releases: Path, tmp_path: Path
) -> None:
    """``psfkg rollback`` (twice, then once more after pruning), and ``psfkg prune --keep 1``
    after each: the releases rolled back from stay, and so does what latest rolls back to."""
    folder = _five(releases, tmp_path)
    for _ in range(2):
        assert psfkg("rollback", "--out", str(folder)).returncode == 0
    assert (folder / "latest").resolve().name == "20220101T000000Z"
    run = psfkg("prune", "--out", str(folder), "--keep", "1")
    assert run.returncode == 0, run.stderr
    assert [line.split()[1] for line in run.stdout.splitlines()] == ["20200101T000000Z"]
    assert psfkg("rollback", "--out", str(folder)).returncode == 0  # to 2021, still there
    assert (folder / "latest").resolve().name == "20210101T000000Z"
    run = psfkg("prune", "--out", str(folder), "--keep", "1")
    assert run.returncode == 0 and run.stdout == ""  # nothing older than 2021 to roll back to
    kept = ["20210101T000000Z", "20220101T000000Z", "20230101T000000Z", "20240101T000000Z"]
    assert sorted(p.name for p in folder.iterdir() if not p.is_symlink()) == kept
