"""Search over the names and descriptions of the graph's resources, from the release's index.

``/search`` is the results page (a GET form in every page's header, so it works without
JavaScript), ``/search.json`` the same as JSON (the query editor completes resources by label
with it), ``/search/suggest`` OpenSearch suggestions as one types, and ``/opensearch.xml`` the
OpenSearch description that lets a browser add the site as a search engine. The words of a query
are read by :mod:`psfkg.index`; nothing a user types reaches FTS5's query syntax.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from .. import formats
from ..index import CANDIDATES, Hit, Index
from .service import served_release, service
from .site import href, page, tagged, url

bp = Blueprint("search", __name__)
#: Results per page of ``/search``; most ``limit=`` gives; suggestions per answer.
PAGE_SIZE, MOST, SUGGESTIONS = 20, 50, 8
#: The deepest result ``offset=`` or ``page=`` reaches: the index ranks no more.
DEEPEST = CANDIDATES
NUMBER = re.compile(r"[0-9]{1,9}")


def search_index() -> Index:
    """The index of the release being served; 404 when it has none."""
    svc, published = service(), served_release()
    found: Index | None = svc.cache.get("search")
    if found is None:
        found = published.search_index()
        if found is None:
            abort(404, f"release {published.name} has no search index: build it again")
        svc.cache["search"] = found
    return found


def number(name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter, held between ``low`` and ``high``; 400 when it is not one."""
    given = request.args.get(name, "").strip()
    if not given:
        return default
    if not NUMBER.fullmatch(given):
        abort(400, f"{name} must be a whole number from {low} to {high}, not {given[:40]!r}")
    return max(low, min(int(given), high))


def absolute(iri: str) -> str:
    """The absolute URL of a resource's page (suggestions are followed from outside pages)."""
    link = href(iri) or ""
    return link if link.startswith(("http://", "https://")) else request.host_url[:-1] + link


def described(hit: Hit) -> dict[str, Any]:
    """A hit as ``/search.json`` gives it."""
    return {
        "iri": hit.iri,
        "url": href(hit.iri),
        "label": hit.label,
        "type": hit.type_label,
        "type_iri": hit.type_iri,
        "snippet": hit.snippet_text,
        "score": hit.score,
    }


@bp.route("/search")
def results() -> ResponseReturnValue:
    """The results page: each resource's label, class and the text that matched, by pages."""
    q = request.args.get("q", "")
    shown = number("page", 1, 1, DEEPEST // PAGE_SIZE)
    index = search_index()
    found = index.search(q, limit=PAGE_SIZE, offset=(shown - 1) * PAGE_SIZE)
    pages = -(-found.total // PAGE_SIZE)

    def link(n: int) -> str | None:
        within = 1 <= n <= min(pages, DEEPEST // PAGE_SIZE)
        return url("/search?" + urlencode({"q": q, "page": n})) if within else None

    return page(
        "search.html",
        title=f"Search: {q[:80]}" if q.strip() else "Search",
        q=q,
        found=found,
        shown=shown,
        first=(shown - 1) * PAGE_SIZE + 1,
        pages=pages,
        previous_href=link(shown - 1),
        next_href=link(shown + 1),
        nearby=index.nearby(q) if q.strip() and not found.total else [],
        alternates=[(url("/search.json?" + urlencode({"q": q})), "application/json", "JSON")],
    )


@bp.route("/search.json")
def results_json() -> ResponseReturnValue:
    """The results as JSON: ``{"query", "results": [{"iri", "url", "label", "type", ...}],
    "total"}``."""
    q = request.args.get("q", "")
    limit = number("limit", 10, 1, MOST)
    offset = number("offset", 0, 0, DEEPEST)
    found = search_index().search(q, limit=limit, offset=offset)
    body = {"query": q, "results": [described(h) for h in found.hits], "total": found.total}
    if found.corrected:
        body["understood"] = found.understood
    if found.more:
        body["more"] = True
    return tagged(jsonify(body))


@bp.route("/search/suggest")
def suggest() -> ResponseReturnValue:
    """OpenSearch suggestions as one types: ``[q, [labels], [descriptions], [urls]]``, the last
    word read as the start of a word."""
    q = request.args.get("q", "")
    hits = search_index().search(q, limit=SUGGESTIONS, prefix=True).hits
    body = [
        q,
        [h.label for h in hits],
        [f"{h.type_label}: {h.snippet_text}" if h.snippet else h.type_label for h in hits],
        [absolute(h.iri) for h in hits],
    ]
    return tagged(
        Response(
            json.dumps(body, ensure_ascii=False), content_type=formats.SUGGESTIONS.content_type
        )
    )


@bp.route("/opensearch.xml")
def opensearch() -> ResponseReturnValue:
    """The OpenSearch 1.1 description: where to search, and where to get suggestions."""
    search_index()
    xml = render_template("opensearch.xml", site=request.url_root.rstrip("/"))
    return tagged(Response(xml, content_type=formats.OPENSEARCH.content_type))
