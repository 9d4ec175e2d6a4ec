"""Reconciliation without HTTP: the matching on the PSF release, measured on a table of names as
other sources write them (tests/reconciliation/names.csv), and the reading of queries checked
against the 0.2 JSON Schemas and their examples."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pyoxigraph as ox
import pytest

from psfkg import reconciliation_queries
from psfkg.config import PROJECT_ROOT
from psfkg.errors import QueryRejected
from psfkg.namespaces import prefixes
from psfkg.reconciliation import FACTS, Condition, Facts, Query, Reconciler
from psfkg.release import Published, latest

HERE = Path(__file__).parent
SPEC = HERE / "reconciliation-api-0.2"
NAMES = HERE / "reconciliation" / "names.csv"
DATA = PROJECT_ROOT / "data"
#: The goals: no wrong match; the right IRI first for this share of the names.
PRECISION, FIRST = 1.0, 0.95


@pytest.fixture(scope="module")
def reconciler(releases: Path) -> Reconciler:
    """The PSF release's reconciler: its search index, and the facts read with pyoxigraph."""
    folder = latest(releases)
    assert folder is not None
    published = Published.open(folder)
    store = ox.Store()
    store.bulk_load(path=str(published.dataset_file), format=ox.RdfFormat.N_QUADS)
    declared = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes(published.base).items())
    solutions = store.query(declared + FACTS, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = [{n: s[n].value for n in names if s[n] is not None} for s in solutions]
    index = published.search_index()
    assert index is not None
    return Reconciler(index, Facts(rows, published.base), published.base)


def org(reconciler: Reconciler, key: str) -> str:
    return reconciler.space.identifiers + "organisation/" + key


def best(reconciler: Reconciler, text: str, *conditions: Condition, kind: str = "Organisation"):  # type: ignore[no-untyped-def]
    return reconciler.reconcile(Query(text, (kind,), 5, conditions))


def test_every_organisation_matches_its_own_label(reconciler: Reconciler) -> None:
    organisations = [e for e in reconciler.facts.entities.values() if e.type == "Organisation"]
    assert len(organisations) > 150
    for entity in organisations:
        found = best(reconciler, entity.label)
        assert found[0].iri == entity.iri and found[0].match, entity.label
        assert [c.iri for c in found if c.match] == [entity.iri]


def test_a_close_name_is_a_candidate_never_a_match(reconciler: Reconciler) -> None:
    found = best(reconciler, "Univrsity of Trku")
    assert found[0].iri == org(reconciler, "university-of-turku")
    assert not any(c.match for c in found) and found[0].score < 99


def test_the_country_condition_chooses_between_namesakes(reconciler: Reconciler) -> None:
    latvia = Condition("country", ("Latvia",))
    poland = Condition("country", ("PL",))  # an ISO code names the country too
    assert best(reconciler, "Ministry of Interior")[0].iri == org(
        reconciler, "poland-ministry-of-interior"
    )
    found = best(reconciler, "Ministry of Interior", latvia)
    assert found[0].iri == org(reconciler, "latvia-ministry-of-the-interior")
    assert not found[0].match  # its name is "Ministry of the Interior": close, not exact
    poland_too = [c for c in found if c.iri == org(reconciler, "poland-ministry-of-interior")]
    assert poland_too and not poland_too[0].match  # the exact name, in another country
    assert best(reconciler, "Ministry of Interior", poland)[0].match
    norden = best(reconciler, "Norden", Condition("country", ("country/sweden",)))
    assert not any(c.match for c in norden)  # psfkg's "Norden" is in Russia
    assert best(reconciler, "Norden", Condition("country", ("Russian Federation",)))[0].match


def test_the_project_condition_changes_the_score(reconciler: Reconciler) -> None:
    plain = best(reconciler, "Caritas Lithuania")[0]
    took_part = best(
        reconciler,
        "Caritas Lithuania",
        Condition("involvedIn", ("project/against-exploitation-of-children",)),
    )[0]
    not_there = best(reconciler, "Caritas Lithuania", Condition("involvedIn", ("JATOC",)))[0]
    assert plain.match and took_part.match and not not_there.match
    assert took_part.features["involvedIn"] is True and not_there.features["involvedIn"] is False
    assert not_there.score < plain.score


def test_conditions_alone_choose_and_never_match(reconciler: Reconciler) -> None:
    found = reconciler.reconcile(Query("", ("Organisation",), 10, (Condition("country", ("IS",)),)))
    assert [c.iri for c in found] == [org(reconciler, "icelandic-coast-guard")]
    assert not found[0].match
    assert reconciler.reconcile(Query("", (), 10, (Condition("uid", ("27eb",)),))) == []


def test_other_types_and_identifiers(reconciler: Reconciler) -> None:
    assert best(reconciler, "Russian Federation", kind="Country")[0].match
    area = best(reconciler, "Sustainable and Prosperous Region", kind="PriorityArea")[0]
    assert area.iri.endswith("priority-area/sustainable-and-prosperous-region") and not area.match
    assert best(reconciler, "JATOC", kind="Project")[0].match
    by_id = best(reconciler, "organisation/lund-university")[0]
    assert by_id.iri == org(reconciler, "lund-university") and by_id.match
    assert best(reconciler, "Lund University", kind="DifferentiatedPerson") == []


def test_extension(reconciler: Reconciler) -> None:
    rows = reconciler.extend(
        ["organisation/university-of-turku", "project/jatoc", "nothing"],
        ["country", "involvedIn", "startYear", "unknown"],
    )
    turku = rows["organisation/university-of-turku"]
    assert turku["country"] == [{"id": "country/finland", "name": "Finland"}]
    assert {"id": "project/baltic-sea-ports", "name": "Baltic Sea Ports"} in turku["involvedIn"]
    assert rows["project/jatoc"]["startYear"] == [{"int": 2016}]
    assert rows["nothing"] == {"country": [], "involvedIn": [], "startYear": [], "unknown": []}


def source_line(reference: str) -> str:
    """The text at ``file:line`` of a source page or a data table."""
    name, line = reference.rsplit(":", 1)
    folder = DATA / "sources" if name.endswith(".txt") else DATA
    return (folder / name).read_text(encoding="utf-8").splitlines()[int(line) - 1]


def plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_every_name_in_the_table_comes_from_the_sources() -> None:
    rows = list(csv.DictReader(NAMES.read_text(encoding="utf-8").splitlines()))
    assert len(rows) > 200
    keys = {
        r["key"]
        for r in csv.DictReader(
            (DATA / "organisations.csv").read_text(encoding="utf-8").splitlines()
        )
    }
    for row in rows:
        assert plain(row["written"]) in plain(source_line(row["source"])), row
        assert row["expected"] in keys | {""}, row


def measure(reconciler: Reconciler, rows: list[dict[str, str]], country: bool) -> Counter[str]:
    """Reconcile each row (with its country as a condition, or not); print what each gets, and
    count per kind of name: rows, right and wrong matches, names psfkg holds, right IRI first."""
    counts = Counter[str]()
    for row in rows:
        given = (Condition("country", (row["country"],)),) if country and row["country"] else ()
        found = best(reconciler, row["query"], *given)
        expected = org(reconciler, row["expected"]) if row["expected"] else None
        matched = [c.iri for c in found if c.match]
        first = found[0] if found else None
        for name, value in (
            ("rows", 1),
            ("right", matched == [expected]),
            ("wrong", sum(m != expected for m in matched)),
            ("held", expected is not None),
            ("first", bool(expected and first and first.iri == expected)),
        ):
            counts[name] += value
            counts[f"{row['kind']} {name}"] += value
        shown = f"{first.name[:40]:40} {first.score:5}" if first else "(none)"
        print(f"  {row['kind']:15} {row['query'][:50]:50} -> {shown} {'match' * bool(matched)}")
    return counts


def test_precision_and_recall_of_match(reconciler: Reconciler) -> None:
    """Each name as another source writes it: is the match right, is the right IRI first?"""
    rows = list(csv.DictReader(NAMES.read_text(encoding="utf-8").splitlines()))
    kinds = sorted({r["kind"] for r in rows})
    for country in (False, True):
        print(f"\n{'with the country condition' if country else 'the name alone'}:")
        c = measure(reconciler, rows, country)
        for kind in kinds:
            print(
                f"  {kind:15} rows {c[f'{kind} rows']:3}  matches right {c[f'{kind} right']:3} "
                f"wrong {c[f'{kind} wrong']}  right first {c[f'{kind} first']}/{c[f'{kind} held']}"
            )
        precision = c["right"] / max(c["right"] + c["wrong"], 1)
        recall, share = c["right"] / c["held"], c["first"] / c["held"]
        print(f"  precision {precision:.3f}  recall {recall:.3f}  right first {share:.3f}")
        assert precision >= PRECISION and share >= FIRST


SCHEMA = json.loads((SPEC / "schemas" / "reconciliation-query-batch.json").read_text())
EXTENSION_SCHEMA = json.loads((SPEC / "schemas" / "data-extension-query.json").read_text())


def examples(kind: str, verdict: str) -> list[Path]:
    return sorted((SPEC / "examples" / kind / verdict).glob("*.json"))


@pytest.mark.parametrize(
    "path", examples("reconciliation-query-batch", "valid"), ids=lambda p: p.name
)
def test_valid_example_batches_are_read(path: Path) -> None:
    read = reconciliation_queries.batch(path.read_text(), most=10, most_limit=10)
    assert set(read) == set(json.loads(path.read_text()))


@pytest.mark.parametrize(
    "path", examples("reconciliation-query-batch", "invalid"), ids=lambda p: p.name
)
def test_invalid_example_batches_are_refused(path: Path) -> None:
    with pytest.raises(QueryRejected) as refused:
        reconciliation_queries.batch(path.read_text(), most=10, most_limit=10)
    assert refused.value.status == 400 and "q" in str(refused.value)


@pytest.mark.parametrize("path", examples("data-extension-query", "valid"), ids=lambda p: p.name)
def test_valid_example_extensions_are_read(path: Path) -> None:
    ids, properties = reconciliation_queries.extension(path.read_text(), most=10)
    assert ids == json.loads(path.read_text())["ids"] and properties


#: Batches beyond the examples: the reader must agree with the schema on each (the limit and
#: the numbers aside, which the specification's text makes stricter).
MORE: list[Any] = [
    {}, [], "x", {"q": "text"}, {"q": {"query": 3}}, {"q": {"query": "a", "type": 3}},
    {"q": {"query": "a", "type": ["T", 3]}}, {"q": {"query": "a", "type_strict": "some"}},
    {"q": {"query": "a", "properties": {}}}, {"q": {"query": "a", "properties": [{"pid": "p"}]}},
    {"q": {"query": "a", "properties": [{"pid": 1, "v": "x"}]}},
    {"q": {"query": "a", "properties": [{"pid": "p", "v": {"name": "x"}}]}},
    {"q": {"query": "a", "properties": [{"pid": "p", "v": [None]}]}},
    {"q": {"query": "a", "properties": [{"pid": "p", "v": [1, True, {"id": "x"}]}]}},
    {"q": {"properties": [{"pid": "p", "v": "x"}]}}, {"q": {"query": ""}},
]  # fmt: skip


@pytest.mark.parametrize("document", MORE, ids=lambda d: json.dumps(d)[:40])
def test_the_reader_agrees_with_the_schema(document: Any) -> None:
    valid = jsonschema.Draft7Validator(SCHEMA).is_valid(document)
    try:
        reconciliation_queries.batch(json.dumps(document), most=10, most_limit=10)
    except QueryRejected as refused:
        assert not valid, refused
    else:
        assert valid


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "queries is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "nests too deep"),
        ('{"q": {"query": "a", "limit": NaN}}', "NaN is not JSON"),
        ('{"q": {"query": "a", "limit": 1e999}}', "q.limit must be a whole number from 1 to 10"),
        ('{"q": {"query": "a", "limit": 11}}', "q.limit must be a whole number from 1 to 10"),
        ('{"q": {"query": "a", "limit": 2.5}}', "q.limit"),
        ('{"q": {"query": "a", "limit": true}}', "q.limit"),
        ('{"\\ud800": {"query": "a"}}', "queries holds a lone surrogate"),
        (
            json.dumps({"q": {"query": "a", "properties": [{"pid": "p", "v": list(range(21))}]}}),
            "q.properties give more than 20 values",
        ),
    ],
)
def test_bad_batches_are_refused_by_name(text: str, says: str) -> None:
    with pytest.raises(QueryRejected, match=says):
        reconciliation_queries.batch(text, most=10, most_limit=10)


def test_a_batch_past_the_bound_is_413() -> None:
    text = json.dumps({f"q{n}": {"query": "a"} for n in range(11)})
    with pytest.raises(QueryRejected, match="holds 11 queries; this service takes 10") as refused:
        reconciliation_queries.batch(text, most=10, most_limit=10)
    assert refused.value.status == 413
    assert jsonschema.Draft7Validator(EXTENSION_SCHEMA).is_valid({"ids": [], "properties": []})
