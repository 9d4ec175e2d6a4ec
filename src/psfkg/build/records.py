"""Step 1: read ``data/`` into typed records. No RDF here.

Each table is a CSV file (``organisations.csv``) or, for the long project texts, a YAML list
(``projects.yaml``). A record's fields are declared once, on its dataclass, with the kind of
value they take; :func:`load` checks every field and every reference and reports *all* problems
at once, each naming file, line and field.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..errors import Problem, PsfkgError, RecordError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE_REF = re.compile(r"^(?P<file>[\w.-]+\.txt):(?P<line>[1-9]\d*)$")
#: Years a project or funding period may name.
YEARS = range(1990, 2101)
ROLES = ("coordinator", "lead-partner", "partner", "funder")
EVENT_KINDS = ("meeting", "event")
LIST_SEPARATOR = "|"


def _kind(
    kind: str,
    *,
    required: bool = True,
    ref: str | None = None,
    pattern: str | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    """Declare a record field: what it holds and whether it must be given."""
    meta = {"kind": kind, "required": required, "ref": ref, "pattern": pattern, "choices": choices}
    default: Any = MISSING if required else (() if kind == "list" else None)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class SourceRef:
    """Where a fact stands in a source page: its file and (1-based) line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Origin:
    """Where a record stands in ``data/``, for error messages."""

    file: str
    line: int


@dataclass(frozen=True, kw_only=True)
class Source:
    """A source page, kept as plain text in ``data/sources/``."""

    key: str = _kind("key")
    file: str = _kind("text")
    title: str = _kind("text")
    site: str = _kind("text")


@dataclass(frozen=True, kw_only=True)
class Country:
    """A country named on a partner line, with its ISO 3166-1 codes and authority links."""

    key: str = _kind("key")
    label: str = _kind("text")
    alt_labels: tuple[str, ...] = _kind("list", required=False)
    iso_alpha2: str = _kind("text", pattern=r"[A-Z]{2}")
    iso_alpha3: str = _kind("text", pattern=r"[A-Z]{3}")
    iso_numeric: str = _kind("text", pattern=r"\d{3}")
    wikidata: str | None = _kind("text", required=False, pattern=r"Q[1-9]\d*")
    eu_country: str | None = _kind("text", required=False, pattern=r"[A-Z]{3}")
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class PriorityArea:
    """One of the CBSS long-term priority areas (a section of the Past Projects page)."""

    key: str = _kind("key")
    label: str = _kind("text")
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class Programme:
    """A funding programme: the PSF."""

    key: str = _kind("key")
    label: str = _kind("text")
    short_name: str | None = _kind("text", required=False)
    created_at: str | None = _kind("ref", required=False, ref="events")
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class FundingPeriod:
    """A funding period of a programme, with the project count the page states for it."""

    key: str = _kind("key")
    programme: str = _kind("ref", ref="programmes")
    label: str = _kind("text")
    start_year: int = _kind("year")
    end_year: int = _kind("year")
    stated_project_count: int | None = _kind("count", required=False)
    remark: str | None = _kind("text", required=False)
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class Event:
    """A meeting or event the pages name: a summit, a kick-off meeting, a planned forum."""

    key: str = _kind("key")
    kind: str = _kind("text", choices=EVENT_KINDS)
    label: str = _kind("text")
    project: str | None = _kind("ref", required=False, ref="projects")
    start_date: date | None = _kind("date", required=False)
    end_date: date | None = _kind("date", required=False)
    when_planned: str | None = _kind("text", required=False)
    topic: str | None = _kind("text", required=False)
    place: str | None = _kind("text", required=False)
    country: str | None = _kind("ref", required=False, ref="countries")
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class Organisation:
    """One organisation, however many spellings the pages use for it."""

    key: str = _kind("key")
    label: str = _kind("text")
    corrected_label: str | None = _kind("text", required=False)
    alt_labels: tuple[str, ...] = _kind("list", required=False)
    country: str | None = _kind("ref", required=False, ref="countries")
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class Project:
    """A project: a heading of the Past Projects page, or the subject of a news item."""

    key: str = _kind("key")
    short_name: str = _kind("text")
    corrected_short_name: str | None = _kind("text", required=False)
    title: str | None = _kind("text", required=False)
    start_year: int | None = _kind("year", required=False)
    end_year: int | None = _kind("year", required=False)
    priority_area: str | None = _kind("ref", required=False, ref="priority_areas")
    programme: str | None = _kind("ref", required=False, ref="programmes")
    funding_period: str | None = _kind("ref", required=False, ref="funding_periods")
    description: str | None = _kind("text", required=False)
    source: SourceRef = _kind("source")


@dataclass(frozen=True, kw_only=True)
class Participation:
    """An organisation's part in a project: its role, the name as written, any remark."""

    project: str = _kind("ref", ref="projects")
    organisation: str = _kind("ref", ref="organisations")
    role: str = _kind("text", choices=ROLES)
    name_as_written: str = _kind("text")
    remark: str | None = _kind("text", required=False)
    source: SourceRef = _kind("source")
    role_source: SourceRef | None = _kind("source", required=False)

    @property
    def key(self) -> str:
        """``project--organisation``: an organisation takes part in a project once."""
        return f"{self.project}--{self.organisation}"


@dataclass(frozen=True, kw_only=True)
class MergeCandidate:
    """Two organisation records that may be one; left for a person to decide."""

    organisation: str = _kind("ref", ref="organisations")
    candidate: str = _kind("ref", ref="organisations")
    reason: str = _kind("text")


#: The tables of ``data/`` in load order: (attribute, file, record class).
TABLES: tuple[tuple[str, str, type], ...] = (
    ("sources", "sources.csv", Source),
    ("countries", "countries.csv", Country),
    ("priority_areas", "priority-areas.csv", PriorityArea),
    ("programmes", "programmes.csv", Programme),
    ("funding_periods", "funding-periods.csv", FundingPeriod),
    ("projects", "projects.yaml", Project),
    ("organisations", "organisations.csv", Organisation),
    ("participations", "participations.csv", Participation),
    ("events", "events.csv", Event),
    ("merge_candidates", "merge-candidates.csv", MergeCandidate),
)

R = TypeVar("R")


@dataclass
class Records:
    """Every record of ``data/``, by table, in file order, with where each one stands."""

    directory: Path
    sources: list[Source] = field(default_factory=list)
    countries: list[Country] = field(default_factory=list)
    priority_areas: list[PriorityArea] = field(default_factory=list)
    programmes: list[Programme] = field(default_factory=list)
    funding_periods: list[FundingPeriod] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    participations: list[Participation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    merge_candidates: list[MergeCandidate] = field(default_factory=list)
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)

    def origin(self, table: str, key: str) -> Origin | None:
        """Where the record ``key`` of ``table`` stands in ``data/``."""
        return self.origins.get((table, key))

    def source_file(self, key: str) -> Path:
        """The path of the copy of a source page."""
        return self.directory / "sources" / key


# -- reading rows ---------------------------------------------------------------------------

Row = dict[str, tuple[str, int]]  # field -> (raw text, line)


def decode(path: Path, problems: list[Problem]) -> str | None:
    """A file's text, or None after adding a problem that names the line: not UTF-8, or a NUL."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(path.name, line, None, f"bad encoding: not UTF-8 ({exc.reason})"))
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.append(Problem(path.name, line, None, "bad encoding: NUL character"))
        return None
    return text


def _csv_rows(
    path: Path, text: str, columns: list[str], required: set[str], problems: list[Problem]
) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(Problem(path.name, 1, None, f"malformed CSV: {exc}"))
        return
    if header is None:
        problems.append(Problem(path.name, 1, None, "empty file: expected a header row"))
        return
    unknown = [c for c in header if c not in columns]
    missing = [c for c in columns if c not in header and c in required]
    if unknown or missing:
        what = "; ".join(
            part
            for part in (
                f"unknown column(s) {', '.join(unknown)}" if unknown else "",
                f"missing column(s) {', '.join(missing)}" if missing else "",
            )
            if part
        )
        problems.append(Problem(path.name, 1, None, f"{what}; expected {','.join(columns)}"))
        return
    start = 2
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        path.name,
                        line,
                        None,
                        f"{len(cells)} cells where the header has {len(header)}",
                    )
                )
                continue
            yield {name: (value, line) for name, value in zip(header, cells, strict=True)}
    except csv.Error as exc:
        problems.append(Problem(path.name, reader.line_num, None, f"malformed CSV: {exc}"))


def _yaml_rows(
    path: Path, text: str, columns: list[str], required: set[str], problems: list[Problem]
) -> Iterator[Row]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(
            Problem(path.name, line, None, f"malformed YAML: {getattr(exc, 'problem', exc)}")
        )
        return
    if root is None:
        return
    if not isinstance(root, yaml.SequenceNode):
        problems.append(
            Problem(path.name, root.start_mark.line + 1, None, "expected a list of records")
        )
        return
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(Problem(path.name, line, None, "expected a mapping (field: value)"))
            continue
        row: Row = {}
        for key_node, value_node in item.value:
            name, at = str(key_node.value), key_node.start_mark.line + 1
            if name not in columns:
                problems.append(
                    Problem(
                        path.name, at, name, f"unknown field; expected one of {', '.join(columns)}"
                    )
                )
            elif name in row:
                problems.append(Problem(path.name, at, name, "field given twice"))
            elif not isinstance(value_node, yaml.ScalarNode):
                problems.append(Problem(path.name, at, name, "expected a single value"))
            else:
                empty = value_node.tag.endswith(":null") or (
                    value_node.style is None and value_node.value in ("~", "null")
                )
                row[name] = ("" if empty else str(value_node.value), at)
        row.setdefault("__line__", ("", line))
        yield row


# -- converting fields ----------------------------------------------------------------------


def _convert(kind: str, raw: str, pattern: str | None, choices: tuple[str, ...]) -> Any:
    """Turn one field's text into its value; raise ValueError with a maintainer's message."""
    if kind == "key":
        if not SLUG.match(raw):
            raise ValueError(f"{raw!r} is not a slug (lower-case letters and digits joined by '-')")
        return raw
    if kind in ("text", "ref"):
        if pattern and not re.fullmatch(pattern, raw):
            raise ValueError(f"{raw!r} does not match {pattern}")
        if choices and raw not in choices:
            raise ValueError(f"{raw!r} is not one of {', '.join(choices)}")
        return raw
    if kind == "list":
        return tuple(part.strip() for part in raw.split(LIST_SEPARATOR) if part.strip())
    if kind == "year":
        if not re.fullmatch(r"\d{4}", raw):
            raise ValueError(f"{raw!r} is not a four-digit year")
        if int(raw) not in YEARS:
            raise ValueError(f"year {raw} out of range {YEARS.start}-{YEARS.stop - 1}")
        return int(raw)
    if kind == "count":
        if not re.fullmatch(r"\d{1,6}", raw):
            raise ValueError(f"{raw!r} is not a count (a whole number from 0)")
        return int(raw)
    if kind == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if kind == "source":
        match = SOURCE_REF.match(raw)
        if not match:
            raise ValueError(f"{raw!r} is not a source reference (file.txt:line)")
        return SourceRef(match["file"], int(match["line"]))
    raise AssertionError(kind)


def _table(
    directory: Path, name: str, cls: type[R], problems: list[Problem]
) -> list[tuple[R, Origin, Row]]:
    path = directory / name
    if not path.is_file():
        problems.append(Problem(name, None, None, "file missing from the data directory"))
        return []
    text = decode(path, problems)
    if text is None:
        return []
    columns = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    required = {f.name for f in fields(cls) if f.metadata["required"]}  # type: ignore[arg-type]
    reader: Callable[..., Iterator[Row]] = _yaml_rows if name.endswith(".yaml") else _csv_rows
    out = []
    for row in reader(path, text, columns, required, problems):
        values: dict[str, Any] = {}
        ok = True
        first_line = min(line for _, line in row.values())
        for f in fields(cls):  # type: ignore[arg-type]
            raw, line = row.get(f.name, ("", first_line))
            raw = raw.strip()
            if not raw:
                if f.metadata["required"]:
                    problems.append(Problem(name, line, f.name, "missing value"))
                    ok = False
                continue
            try:
                values[f.name] = _convert(
                    f.metadata["kind"], raw, f.metadata["pattern"], f.metadata["choices"]
                )
            except ValueError as exc:
                problems.append(Problem(name, line, f.name, str(exc)))
                ok = False
        if ok:
            out.append((cls(**values), Origin(name, first_line), row))
    return out


def load(directory: Path) -> Records:
    """Read and check every table of a data directory.

    :param directory: the folder holding the tables and ``sources/``.
    :raises RecordError: listing every problem found, each with file, line and field.
    :raises PsfkgError: when the directory does not exist.
    """
    problems: list[Problem] = []
    if not directory.is_dir():
        raise PsfkgError(f"data directory not found: {directory}")
    records = Records(directory)
    rows: dict[str, list[tuple[Any, Origin, Row]]] = {}
    unreadable: set[str] = set()
    for attr, name, cls in TABLES:
        before = len(problems)
        rows[attr] = _table(directory, name, cls, problems)
        if not rows[attr] and len(problems) > before:
            unreadable.add(attr)
        keys: dict[str, int] = {}
        for record, origin, _row in rows[attr]:
            key = record.key if hasattr(record, "key") else None
            if key is not None:
                if key in keys:
                    problems.append(
                        Problem(
                            name,
                            origin.line,
                            "key",
                            f"duplicate key {key!r} (first at line {keys[key]})",
                        )
                    )
                    continue
                keys[key] = origin.line
                records.origins[(attr, key)] = origin
            getattr(records, attr).append(record)
    _check_references(records, rows, unreadable, problems)
    if problems:
        raise RecordError(problems)
    return records


def _check_references(
    records: Records,
    rows: dict[str, list[tuple[Any, Origin, Row]]],
    unreadable: set[str],
    problems: list[Problem],
) -> None:
    """Check references between tables; those into a table that could not be read are skipped."""
    known = {
        attr: {r.key for r in getattr(records, attr) if hasattr(r, "key")} for attr, _, _ in TABLES
    }
    line_counts: dict[str, int] = {}
    for source in records.sources:
        path = records.source_file(source.file)
        if not path.is_file():
            origin = records.origins[("sources", source.key)]
            problems.append(
                Problem(origin.file, origin.line, "file", f"no file sources/{source.file}")
            )
            continue
        line_counts[source.file] = path.read_bytes().count(b"\n") + 1
    for attr, name, cls in TABLES:
        for record, _origin, row in rows[attr]:
            for f in fields(cls):
                value = getattr(record, f.name)
                if value is None:
                    continue
                line = row.get(f.name, ("", _origin.line))[1]
                target = f.metadata["ref"]
                if target and target not in unreadable and value not in known[target]:
                    what = {
                        "countries": "unknown country",
                        "priority_areas": "unknown priority area",
                    }.get(target, f"broken reference to {target.replace('_', ' ')}")
                    problems.append(Problem(name, line, f.name, f"{what} {value!r}"))
                if isinstance(value, SourceRef):
                    count = line_counts.get(value.file)
                    if count is None:
                        problems.append(
                            Problem(
                                name, line, f.name, f"{value.file} is not listed in sources.csv"
                            )
                        )
                    elif value.line > count:
                        problems.append(
                            Problem(name, line, f.name, f"{value.file} has only {count} lines")
                        )
            start, end = getattr(record, "start_year", None), getattr(record, "end_year", None)
            if start is not None and end is not None and end < start:
                problems.append(
                    Problem(
                        name,
                        row.get("end_year", ("", _origin.line))[1],
                        "end_year",
                        f"end year {end} is before start year {start}",
                    )
                )
