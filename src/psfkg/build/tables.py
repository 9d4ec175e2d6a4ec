"""The tables of ``data/``: one record class per table, each field declared once with the kind
of value it takes (:func:`_kind`), and :class:`Records`, every record of a data folder.

:mod:`psfkg.build.records` reads and checks them. No RDF here.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

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
