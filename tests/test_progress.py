"""Progress: each step's name, duration and rate; a bar with the rate and ETA when the total is
known; an estimate of the whole run from an earlier one's costs. Timed by a fake clock."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from psfkg.progress import Progress, Step, read_costs, save_costs


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_step_is_reported_with_its_duration() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.step("records"):
        pass
    with progress.step("release", total=3) as step:
        step.advance(3)
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["records", "release"]
    assert lines[0].endswith(" s")
    assert set(progress.timings) == {"records", "release"}


def test_the_bar_shows_done_over_total_the_rate_and_the_eta() -> None:
    clock = Clock()
    step = Step("mapping", 400, unit="records", clock=clock)
    step.advance(100)
    clock.now += 4
    line = step.line()
    assert "[######..................] 100/400" in line
    assert "25.0 records/s" in line
    assert "ETA 12 s" in line  # 300 left at 25 a second
    assert "reasoning ... 0.0s" in Step("reasoning", None, clock=clock).line()
    assert "0.0s of about 1 min 10 s" in Step("reasoning", None, clock=clock, expected=70).line()
    assert "ETA ?" in Step("release", 6).line()  # nothing done: no rate yet


def test_a_finished_step_shows_its_rate_off_a_terminal() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, clock=clock)
    with progress.step("records", unit="records") as step:
        step.advance(5000)
        clock.now += 2
    assert stream.getvalue() == "  records         2.00 s  (5,000 records, 2,500.0 records/s)\n"
    assert "\r" not in stream.getvalue() and "[" not in stream.getvalue()  # no live line


def test_a_slow_step_shows_seconds_a_unit() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, clock=clock)
    with progress.step("release", total=6, unit="files") as step:
        step.advance(6)
        clock.now += 300
    assert stream.getvalue().endswith("(6 files, 50.0 s/file)\n")


def test_the_whole_run_is_estimated_from_an_earlier_runs_costs(tmp_path: Path) -> None:
    clock, stream = Clock(), io.StringIO()
    earlier = Progress(None, clock=clock)
    for name, seconds in (("records", 1), ("mapping", 2), ("reasoning", 7)):
        with earlier.step(name):
            clock.now += seconds
        if name == "records":
            earlier.expect(1000)
    save_costs(tmp_path / "costs.json", earlier)
    costs = read_costs(tmp_path / "costs.json")
    assert costs == {"records": 0.001, "mapping": 0.002, "reasoning": 0.007}

    progress = Progress(stream, clock=clock, costs=costs)
    with progress.step("records", unit="records") as step:
        step.advance(10_000)
        clock.now += 10
    progress.expect(10_000)  # ten times the records: ten times the seconds
    with progress.step("mapping"):
        clock.now += 20
    lines = stream.getvalue().splitlines()
    assert "left" not in lines[0]  # the size is known once the records are read
    assert lines[1] == "  estimate     about 1 min 30 s for 10,000 records"  # mapping, reasoning
    assert "(10,000 records, 500.0 records/s), about 1 min 10 s left" in lines[2]


def test_costs_that_do_not_read_are_none(tmp_path: Path) -> None:
    (tmp_path / "costs.json").write_text("not json")
    assert read_costs(tmp_path / "costs.json") == {}
    assert read_costs(tmp_path / "missing.json") == {}
    assert Progress(None).left() is None


def test_quiet_progress_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(None)
    with progress.step("records"):
        pass
    with progress.step("release", total=3) as step:
        step.advance(3)
    assert capsys.readouterr() == ("", "")
    assert set(progress.timings) == {"records", "release"}


def test_each_finished_line_says_the_peak_memory_when_it_is_read() -> None:
    clock, stream, peak = Clock(), io.StringIO(), [3 * 1024**3 // 2]
    progress = Progress(stream, clock=clock, memory=lambda: peak[0])
    with progress.step("records", unit="records") as step:
        step.advance(10)
        clock.now += 1
    peak[0] = 4 * 1024**3
    with progress.step("mapping"):
        pass
    first, second = stream.getvalue().splitlines()
    assert first.endswith("(10 records, 10.0 records/s), peak 1.50 GiB")
    assert second.endswith(" s, peak 4.00 GiB")


def test_peak_memory_reads_this_process() -> None:
    from psfkg.progress import peak_memory

    assert 10 * 1024**2 < peak_memory() < 64 * 1024**3
