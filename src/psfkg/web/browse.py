"""Browse lists as in Datasette: ``/browse/<kind>`` with facets, sorting and paging, and its
``.csv`` and ``.json`` twins with the same filters (``/browse/projects.csv?country=sweden``).

A list is the answer of one fixed query (:func:`~psfkg.web.asking.select`, remembered while the
release is served), filtered here: a facet value in the URL is looked up among the values the data
holds (by slug or label, in any case), so no text from a URL ever reaches a query. Several values
of one facet are OR-ed, facets are AND-ed (``?country=sweden&country=finland&year=2016``); each
facet value shows how many items it matches given the other facets. ``_sort=col`` or
``_sort_desc=col`` sorts by a column (ties by label, blanks last); ``_page`` and ``_size`` (at most
:data:`MAX_SIZE`) page. An unknown facet value, sort column or malformed page number is a 400
naming what exists; a page past the last is an empty list that says how many pages there are.
The CSV holds every matching row (for pandas' ``read_csv``); HTML and JSON hold one page.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue

from .. import formats
from .listing import COLUMNS, FACETS, NUMERIC, Index, Item, index, items, record
from .service import served_release
from .site import page, tagged, url

bp = Blueprint("browse", __name__)
PAGE_SIZE, MAX_SIZE = 100, 1000
DATA = {"csv": formats.CSV, "json": formats.JSON}
NUMBER = re.compile(r"[0-9]{1,9}")


def chosen_filters(kind: str, found: Index) -> dict[str, list[str]]:
    """The facet values the request asks for, as slugs the data holds, each once.

    A value is matched to a slug or a label in any case; an unknown one is a 400 naming those
    that exist.
    """
    filters: dict[str, list[str]] = {}
    for facet, (_, _, heading) in FACETS[kind].items():
        asked = [v for v in request.args.getlist(facet) if v]
        labels = found.labels[facet]
        known = {t.casefold(): v for v, t in labels.items()} | {v.casefold(): v for v in labels}
        for value in asked:
            if value.casefold() not in known:
                abort(
                    400,
                    f"no {heading.lower()} {value[:100]!r} among the {kind}; "
                    f"{facet}= takes one of: {', '.join(sorted(labels))}",
                )
            if known[value.casefold()] not in filters.setdefault(facet, []):
                filters[facet].append(known[value.casefold()])
    return filters


def ordered(kind: str, chosen: list[Item]) -> tuple[list[Item], str | None, bool]:
    """The items in the order ``_sort`` or ``_sort_desc`` asks (ties by label, blanks last), the
    column and whether descending. A column that does not exist is a 400 naming those that do."""
    up, down = request.args.get("_sort"), request.args.get("_sort_desc")
    if up and down:
        abort(400, "give _sort or _sort_desc, not both")
    column = up or down
    if not column:
        return chosen, None, False
    columns = list(COLUMNS[kind])
    if column not in columns:
        abort(
            400,
            f"no column {column[:100]!r} to sort the {kind} by; "
            f"the columns are: {', '.join(columns)}",
        )
    filled = [i for i in chosen if i.cell(column)]
    blank = [i for i in chosen if not i.cell(column)]

    def key(item: Item) -> Any:
        text = item.cell(column)
        return int(text) if column in NUMERIC and text.isdigit() else text.casefold()

    return sorted(filled, key=key, reverse=bool(down)) + blank, column, bool(down)


def number(name: str, default: int, *, alias: str | None = None) -> int:
    """A whole number from 1 given as ``name`` (or its older ``alias``), else ``default``; a
    malformed one is a 400."""
    given = request.args.get(name) or (request.args.get(alias) if alias else None)
    if not given:
        return default
    if not NUMBER.fullmatch(given) or int(given) < 1:
        abort(400, f"{name} must be a whole number from 1, not {given[:20]!r}")
    return int(given)


@dataclass(frozen=True)
class View:
    """What a request asks of a list: its filters, sort, page size and page; and its links."""

    kind: str
    filters: dict[str, list[str]]
    sort: str | None = None
    desc: bool = False
    size: int = PAGE_SIZE
    number: int = 1

    def href(
        self,
        suffix: str = "",
        *,
        filters: dict[str, list[str]] | None = None,
        sort: tuple[str | None, bool] | None = None,
        number: int = 1,
    ) -> str:
        """The link to this list (``.csv``, ``.json``), changed as given: page ``number`` (a
        changed filter or sort is on the first page; the CSV has no pages)."""
        pairs = [
            (f, v)
            for f, values in (self.filters if filters is None else filters).items()
            for v in values
        ]
        column, desc = (self.sort, self.desc) if sort is None else sort
        if column:
            pairs.append(("_sort_desc" if desc else "_sort", column))
        if self.size != PAGE_SIZE and suffix != ".csv":  # the CSV holds every row
            pairs.append(("_size", str(self.size)))
        if number > 1 and suffix != ".csv":
            pairs.append(("_page", str(number)))
        query = urlencode(pairs)
        return url(f"/browse/{self.kind}{suffix}" + (f"?{query}" if query else ""))

    def toggled(self, facet: str, value: str) -> str:
        """The link that adds ``value`` to the facet's values, or takes it away."""
        values = self.filters.get(facet, [])
        changed = [v for v in values if v != value] if value in values else [*values, value]
        others = {f: v for f, v in self.filters.items() if f != facet}
        return self.href(filters={**others, **({facet: changed} if changed else {})})

    def sorted_by(self, column: str) -> str:
        """The link that sorts by ``column``: ascending, or descending when it is so already."""
        return self.href(sort=(column, self.sort == column and not self.desc))


def facet_links(view: View, found: Index, everyone: frozenset[int]) -> list[dict[str, Any]]:
    """For each facet, its values with counts and the link that toggles each. A value's count
    is of the items that have it and pass the filters of every other facet."""
    passing = {f: found.having(f, values) for f, values in view.filters.items()}
    out = []
    for facet, (_, _, heading) in FACETS[view.kind].items():
        base = everyone.intersection(*(s for f, s in passing.items() if f != facet))
        options = []
        for value, text in found.labels[facet].items():
            count = len(base & found.members[facet][value])
            active = value in view.filters.get(facet, [])
            if count or active:
                options.append(
                    {
                        "value": value,
                        "text": text,
                        "count": count,
                        "active": active,
                        "href": view.toggled(facet, value),
                    }
                )
        out.append({"facet": facet, "heading": heading, "options": options})
    return out


def _csv(view: View, rows: list[Item]) -> Response:
    out = io.StringIO()
    records = [record(view.kind, item, flat=True) for item in rows]
    header = list(record(view.kind, Item("", ""), flat=True))
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return _data(out.getvalue(), formats.CSV, view.kind)


def _data(body: str, fmt: formats.Format, stem: str) -> Response:
    response = Response(body, content_type=fmt.content_type)
    response.headers["Content-Disposition"] = f"inline; filename={stem}.{fmt.suffix}"
    return response


@bp.route("/browse/<kind>")
def browse(kind: str) -> ResponseReturnValue:
    """Projects or organisations, filtered by facets, sorted and paged; as HTML, CSV or JSON."""
    served_release()
    stem, dot, suffix = kind.partition(".")
    if stem not in FACETS:
        abort(
            404, f"nothing to browse called {stem!r}: try /browse/projects or /browse/organisations"
        )
    if dot and suffix not in DATA:
        abort(404, f"no format {suffix!r}: use .csv or .json")
    everything, found = items(stem), index(stem)
    everyone = frozenset(range(len(everything)))
    filters = chosen_filters(stem, found)
    chosen = everyone.intersection(*(found.having(f, v) for f, v in filters.items()))
    rows, sort, desc = ordered(stem, [everything[i] for i in sorted(chosen)])
    view = View(
        stem,
        filters,
        sort,
        desc,
        min(number("_size", PAGE_SIZE), MAX_SIZE),
        number("_page", 1, alias="page"),
    )
    pages = max(1, -(-len(rows) // view.size))
    shown = rows[(view.number - 1) * view.size : view.number * view.size]
    # Past the last page, "previous" is the last page.
    before, after = min(view.number - 1, pages), view.number + 1
    link = f".{suffix}" if suffix else ""
    previous = view.href(link, number=before) if view.number > 1 else None
    following = view.href(link, number=after) if view.number < pages else None
    if suffix == "csv":
        response = _csv(view, rows)
    elif suffix == "json":
        doc = {
            "kind": stem,
            "total": len(rows),
            "page": view.number,
            "pages": pages,
            "size": view.size,
            "filters": filters,
            "sort": sort,
            "sort_desc": desc,
            "rows": [record(stem, i, flat=False) for i in shown],
            "facets": [
                {
                    **f,
                    "options": [
                        {k: o[k] for k in ("value", "text", "count", "active")}
                        for o in f["options"]
                    ],
                }
                for f in facet_links(view, found, everyone)
            ],
            "previous_url": previous,
            "next_url": following,
        }
        response = _data(json.dumps(doc, ensure_ascii=False, indent=1), formats.JSON, stem)
    else:
        response = page(
            "browse.html",
            title=stem.capitalize(),
            view=view,
            kind=stem,
            columns=COLUMNS[stem],
            facet_columns=FACETS[stem],
            items=shown,
            total=len(rows),
            pages=pages,
            facets=facet_links(view, found, everyone),
            previous_href=previous,
            next_href=following,
            alternates=[
                (view.href(f".{s}", number=view.number), f.media_type, f.label)
                for s, f in DATA.items()
            ],
        )
    offers = (("", formats.HTML), *((f".{s}", f) for s, f in DATA.items()))
    response.headers["Link"] = ", ".join(
        f'<{view.href(s, number=view.number)}>; rel="alternate"; type="{f.media_type}"'
        for s, f in offers
    )
    return tagged(response)
