"""Property-based fuzzing: whatever the input, never a 500, never a traceback in a body, never a
corrupt or replaced release."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from psfkg.build.records import load
from psfkg.errors import PsfkgError
from psfkg.release import latest

from .conftest import DATA, build

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
KEYWORDS = [
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "WHERE",
    "FROM",
    "NAMED",
    "SERVICE",
    "FILTER",
    "OPTIONAL",
    "UNION",
    "GRAPH",
    "VALUES",
    "BIND",
    "LIMIT",
    "ORDER BY",
    "GROUP BY",
    "LOAD",
    "INSERT",
    "DELETE",
    "{",
    "}",
    "(",
    ")",
    "?s",
    "?p",
    "?o",
    "*",
    ".",
    ";",
    ",",
    "<file:///etc/passwd>",
    "<http://127.0.0.1:22/>",
    "<https://w3id.org/psfkg/id/project/jatoc>",
    '"x"',
    "'\\u0000'",
    "1e999999",
    "99999999999999999999999999",
    "@en-x-",
    "!",
    "^^",
    "|",
    "/",
]
sparql_like = st.lists(st.sampled_from(KEYWORDS) | st.text(max_size=12), max_size=40).map(" ".join)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200)


def clean(response: object) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    body = response.get_data()  # type: ignore[attr-defined]
    response.close()  # type: ignore[attr-defined]  # as a WSGI server does: a dump's file too
    assert status < 500 or status == 503, (status, body[:300])
    assert b"Traceback" not in body and b'File "/' not in body


@FUZZ
@given(query=sparql_like)
def test_queries(client: FlaskClient, query: str) -> None:
    clean(client.post("/sparql", data={"query": query}))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "query",
                "default-graph-uri",
                "named-graph-uri",
                "format",
                "output",
                "update",
                "country",
                "project",
            ]
        ),
        st.text(max_size=60),
        max_size=5,
    ),
    accept=header_text,
    content_type=header_text,
)
def test_parameters_and_headers(
    client: FlaskClient, params: dict[str, str], accept: str, content_type: str
) -> None:
    clean(client.get("/sparql", query_string=params, headers={"Accept": accept}))
    clean(
        client.post("/sparql", data=params.get("query", ""), headers={"Content-Type": content_type})
    )
    clean(client.get("/queries/projects-with-partner-from-country.csv", query_string=params))
    clean(client.get("/queries/partners-of-project", query_string=params))


@FUZZ
@given(
    path=st.text(max_size=80),
    suffix=st.sampled_from(["", ".ttl", ".html", ".jsonld", ".txt", ".gz"]),
)
@example(path="psfkg.nq", suffix=".gz")  # a real dump: its file is closed with the response
def test_paths(client: FlaskClient, path: str, suffix: str) -> None:
    for prefix in (
        "/id/",
        "/dumps/",
        "/source/",
        "/queries/",
        "/browse/",
        "/graph/",
        "/dataset/distribution/",
    ):
        clean(client.get(prefix + path + suffix))


CELLS = st.text(max_size=30) | st.sampled_from(
    [
        "\x00",
        "\ud800",
        "javascript:alert(1)",
        "9" * 400,
        "Q0",
        "narnia",
        "not-an-iri <>",
        "x" * 5000,
        "2013\n2014",
        '"',
        "a,b",
        "--",
        "ä",
        "\u202e",
        "<script>alert(1)</script>",
    ]
)


@FUZZ
@given(
    file=st.sampled_from(
        [
            "organisations.csv",
            "countries.csv",
            "participations.csv",
            "events.csv",
            "projects.yaml",
            "funding-periods.csv",
        ]
    ),
    line=st.integers(min_value=0, max_value=30),
    cell=CELLS,
    raw=st.binary(max_size=40),
)
def test_records_loader(
    tmp_path_factory: pytest.TempPathFactory, file: str, line: int, cell: str, raw: bytes
) -> None:
    data = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(DATA, data)
    path = data / file
    lines = path.read_bytes().split(b"\n")
    at = min(line, len(lines) - 1)
    lines[at] = lines[at][: len(lines[at]) // 2] + cell.encode("utf-8", "surrogatepass") + raw
    path.write_bytes(b"\n".join(lines))
    try:
        load(data)
    except PsfkgError as exc:
        assert str(exc) and "Traceback" not in str(exc)


def test_a_broken_record_never_replaces_the_release(tmp_path: Path) -> None:
    data, releases = tmp_path / "data", tmp_path / "releases"
    shutil.copytree(DATA, data)
    build(data, releases)
    (data / "countries.csv").write_bytes((data / "countries.csv").read_bytes() + b"\x00,\xff\n")
    before = latest(releases)
    with pytest.raises(PsfkgError):
        build(data, releases)
    assert latest(releases) == before
