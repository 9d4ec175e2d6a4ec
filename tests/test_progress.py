"""Progress: each step's name and duration; a bar when the total is known."""

from __future__ import annotations

import io

import pytest

from psfkg.progress import Progress, Step


def test_each_step_is_reported_with_its_duration() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.step("records"):
        pass
    with progress.step("release", total=3) as step:
        step.advance(3)
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["records", "release"]
    assert all(line.endswith(" s") for line in lines)
    assert set(progress.timings) == {"records", "release"}


def test_the_bar_shows_done_over_total() -> None:
    step = Step("release", 4)
    step.advance(2)
    assert "[############............] 2/4" in step.line()
    assert "..." in Step("reasoning", None).line()


def test_quiet_progress_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(None)
    with progress.step("records"):
        pass
    with progress.step("release", total=3) as step:
        step.advance(3)
    assert capsys.readouterr() == ("", "")
    assert set(progress.timings) == {"records", "release"}
