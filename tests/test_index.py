"""The search index: folding, typos, ranking, snippets, and user text that is FTS5 syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from psfkg.index import Entry, Index, write


def entry(name: str, label: str, cls: str = "Organisation", **more: object) -> Entry:
    return Entry(
        iri=f"https://w3id.org/psfkg/id/{name}",
        label=label,
        type_iri=f"https://w3id.org/psfkg/def#{cls}",
        type_label=cls,
        names=tuple(more.get("names", ())),  # type: ignore[call-overload]
        description=str(more.get("description", "")),
        weight=float(more.get("weight", 1.0)),  # type: ignore[arg-type]
    )


ENTRIES = [
    entry("lodz", "University of Łódź", names=("UniLodz",)),
    entry("tromso", "UiT The Arctic University of Norway", names=("Universitetet i Tromsø",)),
    entry("turku", "University of Turku"),
    entry("turku-partner", "University of Turku: partner in JATOC", "Participation", weight=0.3),
    entry(
        "jatoc",
        "JATOC",
        "Project",
        names=("Joint Actions Targeting Organised Crime",),
        description="The project trained border guards around the Baltic Sea, and more.",
    ),
    entry("humboldt", "Humboldt-Universität zu Berlin"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    path = tmp_path_factory.mktemp("index") / "search.sqlite"
    write(path, ENTRIES)
    return Index(path)


def labels(index: Index, q: str, **options: bool) -> list[str]:
    return [h.label for h in index.search(q, **options).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("lodz", "University of Łódź"),
        ("ŁÓDŹ", "University of Łódź"),
        ("tromso", "UiT The Arctic University of Norway"),
        ("humboldt universitat", "Humboldt-Universität zu Berlin"),
        ("HUMBOLDT-UNIVERSITÄT", "Humboldt-Universität zu Berlin"),
        ("jatoc", "JATOC"),
        ("organised crime", "JATOC"),
        ("border guards", "JATOC"),
    ],
)
def test_case_and_accents_do_not_matter(index: Index, q: str, first: str) -> None:
    assert labels(index, q)[0] == first


@pytest.mark.parametrize("q", ["Univrsity of Trku", "univeristy of turku", "Universty of Turkku"])
def test_small_typos_are_forgiven(index: Index, q: str) -> None:
    found = index.search(q)
    assert found.hits[0].label == "University of Turku"
    assert found.corrected and found.understood == "university of turku"


def test_short_words_are_not_guessed(index: Index) -> None:
    assert index.search("zu").total == 1
    assert index.search("zz").total == 0


def test_the_organisation_comes_before_its_participations(index: Index) -> None:
    assert labels(index, "university of turku") == [
        "University of Turku",
        "University of Turku: partner in JATOC",
    ]


def test_an_exact_label_comes_first(index: Index) -> None:
    assert labels(index, "university")[0] in {"University of Turku", "University of Łódź"}
    assert labels(index, "University of Lodz")[0] == "University of Łódź"


def test_the_last_word_may_be_a_prefix_as_one_types(index: Index) -> None:
    assert labels(index, "humb", prefix=True) == ["Humboldt-Universität zu Berlin"]
    assert labels(index, "humb") == []


def test_paging(index: Index) -> None:
    everything = labels(index, "university")
    assert len(everything) == 4
    assert labels(index, "university", limit=2, offset=2) == everything[2:4]  # type: ignore[arg-type]
    assert index.search("university", limit=2, offset=40).total == 4


def test_the_snippet_marks_the_words_matched(index: Index) -> None:
    (hit,) = index.search("border guard").hits
    assert ("border", True) in hit.snippet and ("guards", True) in hit.snippet
    assert hit.snippet_text == "The project trained border guards around the Baltic Sea, and more."


def test_nearby_offers_what_has_any_word(index: Index) -> None:
    assert index.search("jatoc nowhere").total == 0
    assert index.nearby("jatoc nowhere")[0].label == "JATOC"


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        '"',
        '""',
        "*",
        "univ*",
        "NEAR(a b)",
        "a NEAR/2 b",
        "(((",
        ")",
        "label:turku",
        "{label names}: turku",
        "^turku",
        "turku AND OR NOT",
        "- + ; ' \\ \x00",
        "x" * 10_000,
        "turku " * 2_000,
        "🙂 ∑ ½",
    ],
)
def test_any_text_is_a_query(index: Index, q: str) -> None:
    for prefix in (False, True):
        found = index.search(q, prefix=prefix)
        assert found.total >= 0
    index.nearby(q)


def test_the_same_entries_give_the_same_bytes(tmp_path: Path) -> None:
    write(tmp_path / "a.sqlite", ENTRIES)
    write(tmp_path / "b.sqlite", ENTRIES)
    assert (tmp_path / "a.sqlite").read_bytes() == (tmp_path / "b.sqlite").read_bytes()
