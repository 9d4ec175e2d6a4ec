"""psfkg.sources.synth: synthetic data of the PSF's shape that loads, conforms, repeats itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from psfkg.build import pipeline, records
from psfkg.errors import PsfkgError
from psfkg.progress import Progress
from psfkg.sources import synth


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 synthetic projects, seed 0."""
    out = tmp_path_factory.mktemp("synth") / "data"
    synth.write(out, projects=40, seed=0)
    return out


def test_counts(data: Path) -> None:
    recs = records.load(data)
    assert len(recs.projects) == 40
    per_project = Counter(p.project for p in recs.participations)
    assert len(per_project) == 40
    assert 4 <= len(recs.participations) / 40 <= 10
    assert min(per_project.values()) >= 2 and max(per_project.values()) <= 14
    per_organisation = Counter(p.organisation for p in recs.participations)
    assert max(per_organisation.values()) >= 3
    assert {p.role for p in recs.participations} >= {"partner"}
    assert len(recs.countries) == 13


def test_same_seed_same_bytes(data: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synth.write(again, projects=40, seed=0)
    files = sorted(p.relative_to(data) for p in data.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (data / name).read_bytes() == (again / name).read_bytes(), name


def test_other_seed_other_data(data: Path, tmp_path: Path) -> None:
    synth.write(tmp_path / "other", projects=40, seed=1)
    name = "participations.csv"
    assert (tmp_path / "other" / name).read_bytes() != (data / name).read_bytes()


def test_refuses_a_folder_with_records(data: Path) -> None:
    with pytest.raises(PsfkgError, match="already holds records"):
        synth.write(data, projects=1)


def test_conforms(data: Path) -> None:
    assert pipeline.check(data, Progress(None)).report.conforms
