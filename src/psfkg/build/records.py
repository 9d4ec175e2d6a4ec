"""Step 1: read ``data/`` into typed records (:mod:`psfkg.build.tables`). No RDF here.

Each table is a CSV file (``organisations.csv``) or, for the long project texts, a YAML list
(``projects.yaml``). :func:`load` checks every field and every reference and reports *all*
problems at once, each naming file, line and field.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..errors import Problem, PsfkgError, RecordError
from .tables import (
    LIST_SEPARATOR,
    SLUG,
    SOURCE_REF,
    TABLES,
    YEARS,
    Origin,
    Records,
    SourceRef,
)

R = TypeVar("R")
#: libyaml's loader when PyYAML has it (four times faster on 4,000 projects); its nodes and
#: marks are the pure-Python loader's, but plain scalars have style "" rather than None.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: A row as read: field -> (raw text, line).
RawRow = dict[str, tuple[str, int]]


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
) -> Iterator[RawRow]:
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
) -> Iterator[RawRow]:
    try:
        root = yaml.compose(text, Loader=LOADER)
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
        row: RawRow = {}
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
                    not value_node.style and value_node.value in ("~", "null")
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
) -> list[tuple[R, Origin, RawRow]]:
    path = directory / name
    if not path.is_file():
        problems.append(Problem(name, None, None, "file missing from the data directory"))
        return []
    text = decode(path, problems)
    if text is None:
        return []
    columns = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    required = {f.name for f in fields(cls) if f.metadata["required"]}  # type: ignore[arg-type]
    reader: Callable[..., Iterator[RawRow]] = _yaml_rows if name.endswith(".yaml") else _csv_rows
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
    rows: dict[str, list[tuple[Any, Origin, RawRow]]] = {}
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
    rows: dict[str, list[tuple[Any, Origin, RawRow]]],
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
        text = decode(path, problems)  # the site serves it as UTF-8 text: it must be that
        if text is not None:
            line_counts[source.file] = text.count("\n") + 1
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
