"""SELECT results for pages, run through the query processes and cached per worker.

The served data never changes while a worker runs (a new release starts new workers), so what a
page derives from it is computed once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import formats
from ..query.store import QueryRequest
from ..terms import Binding
from .service import service


@dataclass(frozen=True)
class Value:
    """One value of a result row: its text, and whether it is an IRI."""

    text: str
    iri: bool = False

    def __str__(self) -> str:
        return self.text


Row = dict[str, Value]


def select(
    query: str, bindings: tuple[tuple[str, Binding], ...] = (), *, cache: str | None = None
) -> tuple[list[str], list[Row]]:
    """Run a SELECT; return its variables and rows. With ``cache``, remember the answer.

    :raises QueryRejected: for a malformed query; QueryTimeout or StoreUnavailable as any query.
    """
    svc = service()
    if cache is not None and cache in svc.cache:
        found: tuple[list[str], list[Row]] = svc.cache[cache]
        return found
    answer = svc.runner.run(
        QueryRequest(
            query,
            formats.JSON_RESULTS.media_type,
            bindings=bindings,
            row_cap=svc.settings.result_row_cap,
        )
    )
    doc = json.loads(answer.body)
    variables = doc["head"]["vars"]
    rows = [
        {k: Value(v["value"], v["type"] == "uri") for k, v in b.items()}
        for b in doc["results"]["bindings"]
    ]
    if cache is not None:
        svc.cache[cache] = (variables, rows)
    return variables, rows
