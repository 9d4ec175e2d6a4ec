"""Read a CBSS source page (plain text) into its project headings and partner entries.

Two layouts are understood. The PSF "Past Projects" page has priority sections
(``Regional Identity Projects``), project headings (``2013-2014 CBIM-BSR``), a title line, a
description and a ``Project partners:`` list of ``Country – Organisation; Organisation`` lines.
The news item layout has ``Project kick-off: NAME``, a ``Project coordinator:`` line and a
bulleted ``Project partners:`` list of ``Organisation, Country`` lines.

This module knows nothing of RDF or of ``data/``: ``psfkg import-page`` and the coverage test
compare what it finds with the records.

>>> page = parse_text("x.txt", "Safe & Secure Region Projects\\n\\n2016 JATOC\\n\\n"
...                   "Project partners:\\n"
...                   "Finland – National Police Board\\nLatvia – A; B,\\n")
>>> [(e.country, e.name) for e in page.entries]
[('Finland', 'National Police Board'), ('Latvia', 'A'), ('Latvia', 'B')]
>>> page.headings[0].section, page.headings[0].start_year, page.headings[0].short_name
('Safe & Secure Region', 2016, 'JATOC')
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from ..build.records import decode
from ..errors import Problem, RecordError

SECTION = re.compile(r"^(?P<label>.+?) Projects$")
HEADING = re.compile(r"^(?P<start>(?:19|20)\d\d)(?:-(?P<end>(?:19|20)\d\d))? (?P<name>\S.{0,80})$")
KICKOFF = re.compile(r"^Project kick-off:\s*(?P<name>\S.*?)\s*$")
PARTNERS = re.compile(r"^Project [Pp]artners:\s*$")
COORDINATOR = re.compile(r"^Project coordinator:\s*$")
DASH_LINE = re.compile(r"^(?P<country>[A-Z][\w .'-]{1,40}?)\s+–\s+(?P<rest>\S.*)$")
BULLET = re.compile(r"^•\s*(?P<rest>\S.*)$")
COUNTRY_SUFFIX = re.compile(r"^(?P<name>.+),\s*(?P<country>[A-Z][a-z]+)$")
REMARK = re.compile(r"\s*\((?P<remark>not [^()]*)\)$")
#: The page title, not a priority section.
NOT_SECTIONS = frozenset({"Past"})


@dataclass
class Heading:
    """A project heading and what follows it up to the partner list."""

    line: int
    short_name: str
    start_year: int | None = None
    end_year: int | None = None
    section: str | None = None
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Entry:
    """One organisation named on a partner (or coordinator) line."""

    line: int
    heading_line: int
    name: str
    country: str | None
    role: str = "partner"
    remark: str | None = None


@dataclass
class Page:
    """What a source page says: its headings and partner entries, in page order."""

    file: str
    headings: list[Heading] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


def clean(text: str) -> str:
    """Trim, fold runs of white space, and drop a trailing list comma: a name *as written*.

    >>> clean("  Finland –  National Board of  Antiquities, ")
    'Finland – National Board of Antiquities'
    """
    return re.sub(r"\s+", " ", text).strip().rstrip(",").rstrip()


def split_entry(rest: str) -> tuple[str, str | None]:
    """Split one organisation's text into its name and a remark such as "not funded by PSF".

    >>> split_entry("Mecklenburg-Vorpommern Tourist Board (not funded by PSF)")
    ('Mecklenburg-Vorpommern Tourist Board', 'not funded by PSF')
    """
    match = REMARK.search(rest)
    if match:
        return rest[: match.start()], match["remark"]
    return rest, None


def parse_dash_line(text: str, countries: Collection[str]) -> list[tuple[str, str]]:
    """``Country – A; B`` to ``[(country, A), (country, B)]``.

    A line may pack a second ``Country – ...`` into its text; ``countries`` are the names that
    mark such a split. Dashes inside names (``Schleswig – Holstein``) are kept.

    >>> parse_dash_line("Estonia – NGO X Estonia – Y School,", {"Estonia"})
    [('Estonia', 'NGO X'), ('Estonia', 'Y School')]
    """
    match = DASH_LINE.match(text)
    if not match:
        return []
    country, rest = match["country"], match["rest"]
    names = "|".join(re.escape(c) for c in sorted(countries, key=len, reverse=True))
    packed = re.search(rf"(?<=\s)(?P<country>{names})\s+–\s+", rest) if names else None
    pairs: list[tuple[str, str]] = []
    if packed:
        pairs += parse_dash_line(rest[packed.start() :], countries)
        rest = rest[: packed.start()]
    own = [(country, clean(part)) for part in rest.split(";") if clean(part)]
    return own + pairs


def parse_text(file: str, text: str, countries: Collection[str] = ()) -> Page:
    """Parse a page's text. ``file`` names it in the entries' provenance and in errors.

    :param file: the file name the page is known by (``cbss-psf-past-projects.txt``).
    :param text: the page, as text.
    :param countries: country names that may start a second ``Country –`` inside a line.
    """
    page = Page(file)
    lines = text.splitlines()
    section: str | None = None
    heading: Heading | None = None
    mode = "text"  # or "partners", "coordinator"
    body: list[str] = []

    def close_heading() -> None:
        nonlocal heading, body
        if heading is not None and heading.title is None and body:
            first, *more = body
            if len(first) <= 200 and not first.endswith("."):
                heading.title = first
                body = more
        if heading is not None and body:
            heading.description = "\n\n".join(body)
        body = []

    for number, raw in enumerate(lines, start=1):
        text_line = clean(raw) if raw.strip() else ""
        if not text_line:
            continue
        stripped = re.sub(r"\s+", " ", raw).strip()
        kickoff = KICKOFF.match(stripped)
        heading_match = HEADING.match(stripped) if section else None
        section_match = SECTION.match(stripped)
        if kickoff or heading_match:
            if mode == "text":
                close_heading()
            mode = "text"
            if kickoff:
                heading = Heading(number, kickoff["name"])
            else:
                assert heading_match is not None
                start = int(heading_match["start"])
                end = int(heading_match["end"]) if heading_match["end"] else start
                heading = Heading(number, clean(heading_match["name"]), start, end, section)
            page.headings.append(heading)
            body = []
            continue
        if section_match and section_match["label"] not in NOT_SECTIONS:
            if mode == "text":
                close_heading()
            section, heading, mode = section_match["label"], None, "text"
            continue
        if heading is None:
            continue
        if PARTNERS.match(stripped) or COORDINATOR.match(stripped):
            if mode == "text":
                close_heading()
            mode = "partners" if PARTNERS.match(stripped) else "coordinator"
            continue
        if mode == "coordinator":
            page.entries.append(Entry(number, heading.line, text_line, None, "coordinator"))
            mode = "done"
        elif mode == "partners":
            found = _partner_entries(number, heading.line, stripped, countries)
            if found:
                page.entries.extend(found)
            else:
                mode = "done"
        elif mode == "text":
            body.append(text_line)
    if mode == "text":
        close_heading()
    return page


def _partner_entries(
    number: int, heading_line: int, text: str, countries: Collection[str]
) -> list[Entry]:
    bullet = BULLET.match(text)
    if bullet:
        rest = clean(bullet["rest"])
        suffix = COUNTRY_SUFFIX.match(rest)
        name, country = (suffix["name"], suffix["country"]) if suffix else (rest, None)
        pairs = [(country, name)]
    else:
        pairs = list(parse_dash_line(text, countries))
    entries = []
    for country, written in pairs:
        name, remark = split_entry(written)
        entries.append(Entry(number, heading_line, clean(name), country, "partner", remark))
    return entries


def parse_file(path: Path, countries: Collection[str] = ()) -> Page:
    """Read and parse a page file.

    :raises RecordError: when the file is not UTF-8 or holds a NUL, naming the line.
    """
    problems: list[Problem] = []
    text = decode(path, problems)
    if text is None:
        raise RecordError(problems)
    return parse_text(path.name, text, countries)
