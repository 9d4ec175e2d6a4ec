"""Synthetic data of the PSF's shape, for benchmarks and scale tests (``psfkg synth``).

:func:`write` makes a data directory that ``psfkg build --data`` accepts: the real sources,
countries, priority areas, programme and funding periods, plus made-up projects, organisations,
participations, kick-off meetings and merge candidates drawn from one seeded generator. The
made-up records cite a made-up page, ``sources/synthetic-projects.txt``, laid out like the CBSS
Past Projects page, so ``psfkg import-page`` reads it back.
"""

from __future__ import annotations

import csv
import itertools
import random
import re
import shutil
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from ..build.tables import LIST_SEPARATOR, TABLES
from ..config import PROJECT_ROOT
from ..errors import PsfkgError
from .cbss import clean

REAL = PROJECT_ROOT / "data"
PAGE = "synthetic-projects.txt"
INTRO = "Synthetic data written by psfkg synth; not a CBSS page."
COPIED = ("countries.csv", "priority-areas.csv", "programmes.csv", "funding-periods.csv")
#: Adjective and cities of each country; earlier countries have more organisations.
# fmt: off
PLACES = {
    "sweden": ("Swedish", "Stockholm", "Uppsala", "Malmö", "Visby"),
    "germany": ("German", "Berlin", "Kiel", "Rostock", "Greifswald"),
    "finland": ("Finnish", "Helsinki", "Turku", "Kotka", "Oulu"),
    "poland": ("Polish", "Gdańsk", "Szczecin", "Olsztyn", "Gdynia"),
    "estonia": ("Estonian", "Tallinn", "Tartu", "Pärnu", "Narva"),
    "latvia": ("Latvian", "Riga", "Liepāja", "Ventspils", "Daugavpils"),
    "lithuania": ("Lithuanian", "Vilnius", "Klaipėda", "Kaunas", "Šiauliai"),
    "denmark": ("Danish", "Copenhagen", "Aarhus", "Odense", "Rønne"),
    "russia": ("Russian", "Kaliningrad", "Saint Petersburg", "Pskov", "Sovetsk"),
    "norway": ("Norwegian", "Oslo", "Bergen", "Tromsø", "Trondheim"),
    "iceland": ("Icelandic", "Reykjavík", "Akureyri", "Ísafjörður", "Selfoss"),
    "belgium": ("Belgian", "Brussels", "Antwerp", "Ghent", "Bruges"),
    "ukraine": ("Ukrainian", "Kyiv", "Odesa", "Lviv", "Kharkiv"),
}
FIELDS = ("Maritime Affairs", "Tourism", "Civil Protection", "Youth Affairs", "Cultural Heritage",
          "Environmental Research", "Sea Rescue", "Regional Development", "Adult Education",
          "Energy Efficiency", "Public Health", "Labour Migration", "Innovation")
CITY_NAMES = ("University of {city}", "{city} University of Applied Sciences",
              "Municipality of {city}", "{city} Chamber of Commerce", "{city} Youth Association",
              "Centre for {field}, {city}", "{city} Network for {field}")
COUNTRY_NAMES = ("{adj} Institute of {field}", "{adj} Agency for {field}",
                 "{adj} Association of {field}")
TOPICS = ("Sea Rescue", "Maritime Heritage", "Coastal Tourism", "Youth Employment",
          "Crisis Communication", "Cultural Routes", "Sustainable Tourism", "Marine Litter",
          "Green Entrepreneurship", "Civil Society", "Labour Migration", "Child Protection",
          "Energy Efficiency", "Digital Skills", "Stormwater Management", "Border Security")
PREFIXES = ("Towards", "Strengthening", "Network for", "Developing", "Joint Action on")
REGIONS = (("in the Baltic Sea Region", "BSR"), ("in the BSR", "BSR"),
           ("in the Baltic States", "BALTIC"), ("in the Nordic-Baltic Region", "NB"),
           ("in the South-East Baltic", "SEB"), ("around the Gulf of Finland", "GOF"))
VERBS = ("brought together partners working on", "developed a joint approach to",
         "mapped good practice in", "trained young professionals in", "built a network for")
SECOND = ("Its results were presented at the Annual Forum of the EUSBSR.",
          "Partners met in {n} workshops and published a joint report.",
          "An online toolkit on the topic remains open to practitioners.", "")
# fmt: on
YEARS, YEAR_WEIGHTS = (2013, 2014, 2015, 2016, 2017, 2018), (5, 4, 3, 4, 3, 1)


@dataclass(frozen=True)
class _Made:
    """A made-up project, before its partners are drawn."""

    area: str
    short: str
    title: str
    text: str
    start: int
    end: int


@dataclass
class _Draft:
    """The page and the records as they are made, in page order."""

    rng: random.Random
    countries: dict[str, str]
    pool: list[tuple[str, str]]
    weights: list[float]
    page: list[str] = field(default_factory=lambda: [INTRO, "", "Past Projects"])
    projects: list[dict[str, object]] = field(default_factory=list)
    organisations: dict[str, dict[str, object]] = field(default_factory=dict)
    participations: list[dict[str, object]] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)
    merges: list[dict[str, object]] = field(default_factory=list)

    def line(self, text: str) -> str:
        """Add a line to the page; return its source reference."""
        self.page.append(text)
        return f"{PAGE}:{len(self.page)}"

    def add(self, made: _Made) -> None:
        """A project's heading and partner lines, its records, and maybe a kick-off meeting."""
        key, years = _slug(made.short), f"{made.start}-{made.end}".removesuffix(f"-{made.start}")
        self.line("")
        heading = self.line(f"{years} {made.short}")
        for text in (made.title, made.text, "Project partners:"):
            self.line(text)
        self.projects.append(
            dict(key=key, short_name=made.short, title=made.title, start_year=made.start,
                 end_year=made.end, priority_area=made.area, programme="psf",
                 funding_period=_period(made.start), description=made.text, source=heading)
        )  # fmt: skip
        size = min(14, max(2, round(self.rng.triangular(2, 14, 5))))
        ranks: list[int] = []
        while len(ranks) < size:
            rank = self.rng.choices(range(len(self.pool)), cum_weights=self.weights)[0]
            ranks += [] if rank in ranks else [rank]
        for n, rank in enumerate(ranks):
            self.partner(key, self.pool[rank], _role(self.rng, n, size))
        if self.rng.random() < 0.12:
            country = self.pool[ranks[0]][1]
            day = f"{made.start}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
            place = self.rng.choice(PLACES[country][1:])
            self.events.append(
                dict(key=f"{key}-kick-off-meeting", kind="meeting", project=key,
                     label=f"{made.short} kick-off meeting", start_date=day, end_date=day,
                     place=place, country=country, source=heading)
            )  # fmt: skip

    def partner(self, project: str, organisation: tuple[str, str], role: str) -> None:
        """A partner line, its participation, and the organisation when it is new."""
        (label, country), key = organisation, _slug(organisation[0])
        twin = f"the-{key}"
        if (
            key in self.organisations
            and twin not in self.organisations
            and self.rng.random() < 0.01
        ):
            # Now and then a page names a known body differently, and the records stay apart.
            reason = "Named with and without 'The'; probably one body."
            self.merges.append(dict(organisation=key, candidate=twin, reason=reason))
            label, key = f"The {label}", twin
        written = _variant(self.rng, label, self.countries[country])
        remark = "not funded by PSF" if self.rng.random() < 0.03 else ""
        line = self.line(f"{self.countries[country]} – {written} ({remark})".removesuffix(" ()"))
        org = self.organisations.setdefault(
            key, dict(key=key, label=label, alt_labels="", country=country, source=line)
        )
        if written not in (label, *str(org["alt_labels"]).split(LIST_SEPARATOR)):
            org["alt_labels"] = LIST_SEPARATOR.join(filter(None, (str(org["alt_labels"]), written)))
        self.participations.append(
            dict(project=project, organisation=key, role=role, name_as_written=written,
                 remark=remark, source=line)
        )  # fmt: skip


def write(out: Path, *, projects: int, seed: int = 0) -> None:
    """Write a synthetic data directory with ``projects`` projects.

    Each project has 2 to 14 partners (7 on average), drawn with a Zipf-like skew from some
    0.6 x ``projects`` + 50 organisations, so a few organisations take part in many projects.
    The same seed always gives the same bytes.

    :param out: the data directory to write; created if need be.
    :param projects: how many projects to make.
    :param seed: the seed of the random choices.
    :raises PsfkgError: when ``out`` already holds records.
    """
    if any((out / name).exists() for _, name, _ in TABLES):
        raise PsfkgError(f"{out} already holds records; give synth a new folder")
    rng = random.Random(seed)
    pool = _pool(rng, int(0.6 * projects) + 50)
    weights = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(pool))))
    countries = {row["key"]: row["label"] for row in _read("countries.csv")}
    draft = _Draft(rng, countries, pool, weights)
    made = sorted((_project(rng, n) for n in range(projects)), key=lambda m: m.start)
    for area in _read("priority-areas.csv"):
        draft.line("")
        draft.line(f"{area['label']} Projects")
        for project in (m for m in made if m.area == area["key"]):
            draft.add(project)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "sources" / PAGE).write_text("\n".join(draft.page) + "\n", encoding="utf-8")
    sources = _read("sources.csv")
    for name in (*COPIED, *(f"sources/{s['file']}" for s in sources)):
        shutil.copyfile(REAL / name, out / name)
    with (out / "projects.yaml").open("w", encoding="utf-8") as f:
        f.write(f"# {projects} synthetic projects (psfkg synth, seed {seed}).\n")
        given = [{k: v for k, v in row.items() if v is not None} for row in draft.projects]
        yaml.safe_dump(given, f, sort_keys=False, allow_unicode=True, width=100)
    title = f"Synthetic projects (seed {seed})"
    own = dict(key=PAGE.removesuffix(".txt"), file=PAGE, title=title, site="psfkg synth")
    tables: dict[str, Sequence[Mapping[str, object]]] = {
        "sources.csv": [*sources, own],
        "organisations.csv": [org for _, org in sorted(draft.organisations.items())],
        "participations.csv": draft.participations,
        "events.csv": [*(e for e in _read("events.csv") if not e["project"]), *draft.events],
        "merge-candidates.csv": draft.merges,
    }
    for _, name, cls in TABLES:
        if name in tables:
            with (out / name).open("w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, [c.name for c in fields(cls)], lineterminator="\n")
                writer.writeheader()
                writer.writerows(tables[name])


def _pool(rng: random.Random, size: int) -> list[tuple[str, str]]:
    """``size`` organisations (label, country), the likeliest partners first."""
    drawn: list[tuple[float, str, str]] = []
    for weight, (country, (adj, *cities)) in enumerate(reversed(PLACES.items()), start=1):
        labels = {t.format(city=c, field=f) for t in CITY_NAMES for c in cities for f in FIELDS}
        labels |= {t.format(adj=adj, field=f) for t in COUNTRY_NAMES for f in FIELDS}
        # Weighted random order (Efraimidis-Spirakis): organisations of earlier countries lead.
        drawn += [(rng.random() ** (1 / weight), label, country) for label in sorted(labels)]
    drawn.sort(reverse=True)
    return [
        (label if n < len(drawn) else f"{label} {n // len(drawn) + 1}", country)
        for n, (_, label, country) in zip(range(size), itertools.cycle(drawn), strict=False)
    ]


def _project(rng: random.Random, n: int) -> _Made:
    """The ``n``-th project: priority area, short name, title, description and years."""
    area = rng.choice(
        ("regional-identity", "sustainable-and-prosperous-region", "safe-and-secure-region")
    )
    topic, (region, abbrev) = rng.choice(TOPICS), rng.choice(REGIONS)
    acronym = "".join(word[0] for word in topic.split())
    short = f"{rng.choice((f'{acronym}-{abbrev}', f'{topic} {abbrev}'))} {n + 1}"
    title = f"{rng.choice(PREFIXES)} {topic} {region}"
    second = rng.choice(SECOND).format(n=rng.randint(2, 9))
    text = f"The project {rng.choice(VERBS)} {topic.lower()} {region}. {second}".strip()
    start = rng.choices(YEARS, weights=YEAR_WEIGHTS)[0]
    return _Made(area, short, title, text, start, min(2019, start + rng.choice((0, 0, 1, 1, 2))))


def _period(start: int) -> str | None:
    """The funding period a project starting in ``start`` belongs to (none for 2018)."""
    return "psf-2013-2015" if start <= 2015 else {2016: "psf-2016", 2017: "psf-2017"}.get(start)


def _variant(rng: random.Random, label: str, country: str) -> str:
    """The name as a page writes it: mostly the label, now and then another spelling."""
    if rng.random() >= 0.1:
        return label
    shorter = label.rsplit(" ", 1)[0]
    the = f"The {label.removeprefix('The ')}"
    return clean(
        rng.choice((the, f"{label} ({country})", shorter, label.replace("University", "Univ.")))
    )


def _role(rng: random.Random, n: int, size: int) -> str:
    """Some projects name a coordinator or lead partner first; a few name a funder last."""
    if n == 0 and rng.random() < 0.4:
        return rng.choice(("coordinator", "lead-partner"))
    return "funder" if n == size - 1 and rng.random() < 0.05 else "partner"


def _slug(text: str) -> str:
    """A record key: ``Liepāja Network`` -> ``liepaja-network``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _read(name: str) -> list[dict[str, str]]:
    """The rows of a table of the real data directory."""
    with (REAL / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
