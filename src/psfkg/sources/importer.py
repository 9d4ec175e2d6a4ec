"""Compare a source page with the records: what ``psfkg import-page`` would add or change.

A page's project headings and partner entries are matched to the records by the source line
they name (``file.txt:line``) and, for partners, by the name as written. Nothing is written:
the report tells a maintainer which rows to add or edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..build.tables import Project, Records
from .cbss import Entry, Heading, Page


@dataclass(frozen=True)
class Change:
    """One difference between the page and ``data/``."""

    action: str  # "add", "change" or "missing"
    what: str
    line: int
    detail: str

    def __str__(self) -> str:
        sign = {"add": "+", "change": "~", "missing": "-"}[self.action]
        return f"{sign} {self.what} (line {self.line}): {self.detail}"


def compare(page: Page, records: Records) -> list[Change]:
    """What ``data/`` lacks or says differently from ``page``."""
    projects = {(p.source.file, p.source.line): p for p in records.projects}
    sections = {a.label: a.key for a in records.priority_areas}
    countries = {c.label: c.key for c in records.countries}
    orgs = {o.key: o for o in records.organisations}
    changes: list[Change] = []
    for heading in page.headings:
        project = projects.get((page.file, heading.line))
        if project is None:
            changes.append(Change("add", "project", heading.line, _describe(heading)))
        else:
            changes += _project_changes(heading, project, sections)
    written = {(p.source.file, p.source.line, p.name_as_written): p for p in records.participations}
    for entry in page.entries:
        part = written.get((page.file, entry.line, entry.name))
        if part is None:
            changes.append(Change("add", "participation", entry.line, _entry(entry)))
            continue
        org = orgs[part.organisation]
        if entry.country and countries.get(entry.country) != org.country:
            changes.append(
                Change(
                    "change",
                    "organisation",
                    entry.line,
                    f"{org.key}: the page says {entry.country}, data/ says {org.country}",
                )
            )
        if (entry.remark or None) != part.remark and entry.remark:
            changes.append(
                Change(
                    "change",
                    "participation",
                    entry.line,
                    f"{part.key}: remark {entry.remark!r} (data/: {part.remark!r})",
                )
            )
    on_page = {(e.line, e.name) for e in page.entries}
    partner_lines = {e.line for e in page.entries}
    for part in records.participations:
        # Participations read from a description (no partner list on that line) are not checked.
        if (
            part.source.file == page.file
            and part.source.line in partner_lines
            and (part.source.line, part.name_as_written) not in on_page
        ):
            changes.append(
                Change(
                    "missing",
                    "participation",
                    part.source.line,
                    f"{part.key}: {part.name_as_written!r} is not on this line of the page",
                )
            )
    return changes


def _project_changes(heading: Heading, project: Project, sections: dict[str, str]) -> list[Change]:
    out = []
    pairs = (
        ("short_name", heading.short_name, project.short_name),
        ("start_year", heading.start_year, project.start_year),
        ("end_year", heading.end_year, project.end_year),
        (
            "priority_area",
            sections.get(heading.section or "", heading.section),
            project.priority_area,
        ),
    )
    for name, page_value, data_value in pairs:
        if page_value is not None and page_value != data_value:
            out.append(
                Change(
                    "change",
                    "project",
                    heading.line,
                    f"{project.key}.{name}: page {page_value!r}, data/ {data_value!r}",
                )
            )
    return out


def _describe(heading: Heading) -> str:
    years = f"{heading.start_year}-{heading.end_year} " if heading.start_year else ""
    section = f" [{heading.section}]" if heading.section else ""
    return f"{years}{heading.short_name}{section}"


def _entry(entry: Entry) -> str:
    country = f"{entry.country} – " if entry.country else ""
    remark = f" ({entry.remark})" if entry.remark else ""
    return f"{entry.role}: {country}{entry.name}{remark} (project at line {entry.heading_line})"
