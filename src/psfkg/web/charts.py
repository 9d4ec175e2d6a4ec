"""Pictures people would rather look at than read, as static SVG made on the server.

- :func:`stacked_bars`: projects per start year, stacked by priority area;
- :func:`network`: countries on a circle, linked by the projects they share.

Both are plain SVG 1.1 with a ``<title>`` and ``<desc>``; every text and attribute is escaped.

>>> svg = stacked_bars([("Regional Identity", "2013", 5)], title="Projects")
>>> svg.startswith("<svg") and "<title id=\\"t\\">Projects</title>" in svg
True
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

#: Colours that stay apart for colour-blind readers (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def element(tag: str, text: str | None = None, **attributes: object) -> str:
    """One SVG element. ``text`` goes in as it is (escaped text, or child elements); attribute
    names use ``_`` for ``-``, and floats are rounded.

    >>> element("text", escape("a < b"), x=1.234, text_anchor="end")
    '<text x="1.2" text-anchor="end">a &lt; b</text>'
    """

    def show(value: object) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    attrs = "".join(f" {k.replace('_', '-')}={quoteattr(show(v))}" for k, v in attributes.items())
    return f"<{tag}{attrs}/>" if text is None else f"<{tag}{attrs}>{text}</{tag}>"


def _svg(width: int, height: int, title: str, description: str, body: list[str]) -> str:
    head = element("title", escape(title), id="t") + element("desc", escape(description), id="d")
    return element(
        "svg",
        head + "".join(body),
        xmlns="http://www.w3.org/2000/svg",
        width=width,
        height=height,
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_labelledby="t d",
        font_family="sans-serif",
        font_size=12,
    )


def stacked_bars(rows: Sequence[tuple[str, str, int]], *, title: str) -> str:
    """Bars per year (x), stacked by series; ``rows`` are (series, year, count)."""
    years = sorted({year for _, year, _ in rows})
    series = sorted({name for name, _, _ in rows})
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for name, year, count in rows:
        counts[(name, year)] += count
    totals = {y: sum(counts[(s, y)] for s in series) for y in years}
    top = max(totals.values(), default=1) or 1
    width, height, left = 640, 360, 40
    legend = 20 * len(series) + 10
    axis = height - 40
    plot = axis - legend - 20
    step = (width - left - 20) / max(len(years), 1)
    body = [element("line", x1=left, y1=axis, x2=width - 10, y2=axis, stroke="#333")]
    for i, year in enumerate(years):
        x, y = left + i * step + step * 0.15, float(axis)
        for j, name in enumerate(series):
            h = plot * counts[(name, year)] / top
            if h:
                y -= h
                tip = element("title", escape(f"{name}, {year}: {counts[(name, year)]}"))
                body.append(
                    element(
                        "rect",
                        tip,
                        x=x,
                        y=y,
                        width=step * 0.7,
                        height=h,
                        fill=PALETTE[j % len(PALETTE)],
                    )
                )
        middle = x + step * 0.35
        body.append(element("text", escape(year), x=middle, y=axis + 16, text_anchor="middle"))
        body.append(element("text", str(totals[year]), x=middle, y=y - 4, text_anchor="middle"))
    for j, name in enumerate(series):
        body.append(
            element(
                "rect", x=left, y=6 + 20 * j, width=12, height=12, fill=PALETTE[j % len(PALETTE)]
            )
        )
        body.append(element("text", escape(name), x=left + 18, y=16 + 20 * j))
    described = "; ".join(f"{y}: {totals[y]}" for y in years)
    return _svg(
        width,
        height,
        title,
        f"Projects per start year ({described}), coloured by priority area.",
        body,
    )


def network(edges: Sequence[tuple[str, str, int]], *, title: str) -> str:
    """Nodes on a circle, one line per pair, wider for more weight; ``edges`` are (a, b, weight)."""
    nodes = sorted({n for a, b, _ in edges for n in (a, b)})
    size, radius = 560, 200
    centre = size / 2

    def angle(i: int) -> float:
        return 2 * math.pi * i / max(len(nodes), 1) - math.pi / 2

    place = {
        n: (centre + radius * math.cos(angle(i)), centre + radius * math.sin(angle(i)))
        for i, n in enumerate(nodes)
    }
    heaviest = max((w for _, _, w in edges), default=1) or 1
    body = []
    for a, b, weight in sorted(edges, key=lambda e: e[2]):
        (x1, y1), (x2, y2) = place[a], place[b]
        tip = element("title", escape(f"{a} and {b}: {weight} shared project(s)"))
        body.append(
            element(
                "line",
                tip,
                x1=x1,
                y1=y1,
                x2=x2,
                y2=y2,
                stroke="#0072B2",
                stroke_opacity=f"{0.25 + 0.6 * weight / heaviest:.2f}",
                stroke_width=1 + 7 * weight / heaviest,
            )
        )
    for name, (x, y) in place.items():
        right = x >= centre
        body.append(element("circle", cx=x, cy=y, r=6, fill="#E69F00", stroke="#333"))
        body.append(
            element(
                "text",
                escape(name),
                x=x + (10 if right else -10),
                y=y + 4,
                text_anchor="start" if right else "end",
            )
        )
    strongest = ", ".join(f"{a}-{b} ({w})" for a, b, w in sorted(edges, key=lambda e: -e[2])[:5])
    return _svg(
        size,
        size,
        title,
        f"{len(nodes)} countries; the pairs sharing most projects: {strongest}.",
        body,
    )
