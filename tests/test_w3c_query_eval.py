"""The W3C SPARQL 1.1 query-evaluation cases (``w3c/query-eval/tests.json``), over HTTP.

One server holds every case's data: each data file is a named graph of its own,
``http://w3c.test/data/<path>``, and a case's query is sent with that graph as its
``default-graph-uri``, so that it sees its data file alone. The data is read with pyoxigraph, which
keeps each literal's lexical form as written (rdflib would rewrite ``1.0E6`` as ``1000000.0``), and
the blank nodes of each file are renamed so that no two files share one.

Each case is checked by the kind of its expected result:

- ``.srx``, ``.srj``: asked for as SPARQL JSON results and compared with the expected SELECT
  solutions or ASK boolean;
- ``.tsv``: asked for as TSV and compared, term by term, with the expected TSV;
- ``.csv``: asked for as CSV and compared, text by text (CSV has no types), with the expected CSV;
- ``.ttl``: a CONSTRUCT, asked for as Turtle and compared with the expected graph by isomorphism.

Solutions are compared as multisets, blank nodes up to a consistent renaming. They are compared in
order when the query ends with ORDER BY (the expected results then follow that order; a pragmatic
rule: no case orders by keys that tie on different rows). Literals of one datatype and language
are equal when their values are: the expected files write some numbers otherwise than the data
(tsv03 has ``1.0e6`` for ``1.0E6``), and the store answers with canonical forms (``1`` for ``1.0``).
A changed datatype still fails.

The cases that cannot pass are listed, with the reason, in ``w3c/EXCEPTIONS.md``, which this
runner reads: each is a strict xfail, so a case that starts to pass fails the run.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import BNode, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.query import Result
from rdflib.term import Node

from .sparql_http import (
    W3C,
    fetch,
    local_name,
    media_type,
    read_graph,
    read_results,
    sparql_endpoint,
)

QUERY_EVAL = W3C / "query-eval"
GRAPHS = "http://w3c.test/data/"
Solution = Mapping[str, Node]
Solutions = tuple[set[str], Sequence[Solution]]


def graph_iri(data: str) -> str:
    """The named graph holding the data file at ``data`` (relative to ``query-eval``)."""
    return GRAPHS + data


@dataclass(frozen=True)
class Case:
    """A query-evaluation case: its query, the graph of its data, and its expected result."""

    name: str
    query: str
    data: str
    expected: Path

    def run(self, endpoint: str, accept: str) -> requests.Response:
        """Send the query on the case's data graph, asking for ``accept``; it must succeed."""
        response = fetch(
            "POST",
            endpoint,
            data={"query": self.query, "default-graph-uri": graph_iri(self.data)},
            headers={"Accept": accept},
        )
        assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
        assert media_type(response) == accept
        return response


CASES = [
    Case(
        local_name(case["iri"]),
        (QUERY_EVAL / case["query"]).read_text(encoding="utf-8"),
        case["data"],
        QUERY_EVAL / case["result"],
    )
    for case in json.loads((QUERY_EVAL / "tests.json").read_text(encoding="utf-8"))
]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server on every data file of the cases, each in its own named graph."""
    dataset = tmp_path_factory.mktemp("query-eval") / "data.nq"
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph_iri(data)))
        for data in sorted({case.data for case in CASES})
        for t in ox.parse(path=QUERY_EVAL / data, base_iri=graph_iri(data), rename_blank_nodes=True)
    ]
    ox.serialize(quads, output=dataset, format=ox.RdfFormat.N_QUADS)
    with sparql_endpoint([dataset]) as url:
        yield url


def ordered(query: str) -> bool:
    """Whether the query's answer is in a defined order: it ends with ORDER BY (after its last
    closing brace, so not in a subquery)."""
    return re.search(r"\bORDER\s+BY\b", query.rpartition("}")[2], re.IGNORECASE) is not None


def same_term(expected: Node, actual: Node) -> bool:
    """Equal terms, or literals of one datatype (and language) with equal values."""
    if expected == actual:
        return True
    return (
        isinstance(expected, Literal)
        and isinstance(actual, Literal)
        and (expected.datatype, expected.language) == (actual.datatype, actual.language)
        and expected.value is not None
        and expected.value == actual.value
    )


def _unify(
    expected: Solution, actual: Solution, bnodes: dict[Node, Node]
) -> dict[Node, Node] | None:
    """``bnodes`` extended so that ``expected`` becomes ``actual``, or None if it cannot."""
    if expected.keys() != actual.keys():
        return None
    mapping = dict(bnodes)
    for var, term in expected.items():
        other = actual[var]
        if isinstance(term, BNode) and isinstance(other, BNode):
            if term in mapping:
                if mapping[term] != other:
                    return None
            elif other in mapping.values():
                return None
            mapping[term] = other
        elif not same_term(term, other):
            return None
    return mapping


def same_solutions(
    expected: Sequence[Solution], actual: Sequence[Solution], *, in_order: bool
) -> bool:
    """Whether two sequences of solutions are equal as multisets (or as lists, ``in_order``), with
    blank nodes renamed consistently: a backtracking search for a row matching and a renaming."""

    def match(i: int, used: frozenset[int], bnodes: dict[Node, Node]) -> bool:
        if i == len(expected):
            return True
        candidates = [i] if in_order else [j for j in range(len(actual)) if j not in used]
        for j in candidates:
            extended = _unify(expected[i], actual[j], bnodes)
            if extended is not None and match(i + 1, used | {j}, extended):
                return True
        return False

    return len(expected) == len(actual) and match(0, frozenset(), {})


def solutions(result: Result) -> Solutions:
    """The variables and solutions of rdflib's SELECT result."""
    rows = [{str(var): term for var, term in row.items()} for row in result.bindings]
    return {str(v) for v in result.vars or ()}, rows


def csv_solutions(text: str) -> Solutions:
    """The variables and solutions of a SPARQL CSV document: each field as text, ``_:`` fields as
    blank nodes, empty fields unbound."""
    header, *rows = csv.reader(io.StringIO(text.replace("\r\n", "\n")))

    def term(field: str) -> Node:
        return BNode(field[2:]) if field.startswith("_:") else Literal(field)

    return set(header), [
        {v: term(f) for v, f in zip(header, row, strict=True) if f} for row in rows
    ]


def assert_same(expected: Solutions, actual: Solutions, query: str) -> None:
    """The same variables and the same solutions (see :func:`same_solutions`)."""
    assert actual[0] == expected[0], "variables differ"
    in_order = ordered(query)
    assert same_solutions(expected[1], actual[1], in_order=in_order), (
        f"solutions differ (ordered: {in_order})\nexpected: {expected[1]}\nactual:   {actual[1]}"
    )


def parse_results(path: Path, fmt: str) -> Result:
    """An expected result file, as rdflib reads it."""
    with path.open("rb") as file:
        return Result.parse(file, format=fmt)


def check_results(endpoint: str, case: Case) -> None:
    """SELECT or ASK, against ``.srx`` or ``.srj``, through SPARQL JSON results."""
    want = parse_results(case.expected, {".srx": "xml", ".srj": "json"}[case.expected.suffix])
    got = read_results(case.run(endpoint, "application/sparql-results+json"))
    assert got.type == want.type
    if want.type == "ASK":
        assert got.askAnswer is want.askAnswer
    else:
        assert_same(solutions(want), solutions(got), case.query)


def check_tsv(endpoint: str, case: Case) -> None:
    """SELECT against ``.tsv``, term by term."""
    want = parse_results(case.expected, "tsv")
    got = read_results(case.run(endpoint, "text/tab-separated-values"))
    assert_same(solutions(want), solutions(got), case.query)


def check_csv(endpoint: str, case: Case) -> None:
    """SELECT against ``.csv``, text by text."""
    want = case.expected.read_text(encoding="utf-8")
    got = case.run(endpoint, "text/csv").content.decode("utf-8")
    assert_same(csv_solutions(want), csv_solutions(got), case.query)


def check_graph(endpoint: str, case: Case) -> None:
    """CONSTRUCT against ``.ttl``, by isomorphism."""
    want = Graph().parse(case.expected)
    got = read_graph(case.run(endpoint, "text/turtle"))
    shown = {name: g.serialize(format="nt") for name, g in (("expected", want), ("actual", got))}
    assert isomorphic(want, got), f"graphs differ: {shown}"


CHECKS: dict[str, Callable[[str, Case], None]] = {
    ".srx": check_results,
    ".srj": check_results,
    ".tsv": check_tsv,
    ".csv": check_csv,
    ".ttl": check_graph,
}


def expected_failures() -> dict[str, str]:
    """The cases ``w3c/EXCEPTIONS.md`` lists, each with its reason."""
    text = (W3C / "EXCEPTIONS.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([\w-]+)` \| (.+) \|$", text, re.MULTILINE))


FAILURES = expected_failures()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_query_eval(endpoint: str, case: Case, request: pytest.FixtureRequest) -> None:
    if case.name in FAILURES:
        request.applymarker(pytest.mark.xfail(reason=FAILURES[case.name], strict=True))
    CHECKS[case.expected.suffix](endpoint, case)


def test_every_exception_is_a_case() -> None:
    assert FAILURES.keys() <= {case.name for case in CASES}
