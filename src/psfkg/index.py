"""The search index of a release: one SQLite file, written by the build, read by the web.

It holds one row per resource that has a label (its IRI, label, class, other names and
description) and an FTS5 table over the same text, *folded* first: lower case, accents and
ligatures taken off, and ``ø``, ``ł``, ``æ``, ``ð``, ``þ`` written as ``o``, ``l``, ``ae``,
``d``, ``th``, which Unicode does not decompose, so that "Lodz" finds Łódź and "Tromso"
Tromsø. The same :func:`words` cuts the indexed text and the query, so both sides agree.

Small typos are forgiven with a table of the index's terms and their one-letter deletions
(SymSpell's idea): a query word that is no term is replaced by the terms it is within one or
two edits of (Damerau-Levenshtein, two only for words of eight letters or more), found with
one indexed lookup and checked exactly. User text never reaches ``MATCH`` as it is: it is cut
into words, and each word is quoted.

Ranking reads at most :data:`CANDIDATES` matches, so that a query answers in milliseconds
whatever its words (BM25 over FTS5 reads every match: 0.6 s for "of" at 1000x the PSF). Rows are
in order of how likely they are to be looked for (the resource's weight, then the shorter label
first), and FTS5 gives matches in row order, so the first matches are the likely ones; they are
then ranked by how much of the label (then of the other names) the query's words cover, times
the weight, an exact label first. Past :data:`CANDIDATES`, the total is a lower bound.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Letters that have no Unicode decomposition, written as the letters people type for them.
SPELLED = str.maketrans({"ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "đ": "d"})
WORD = re.compile(r"[^\W_]+")
#: What a match counts for: in the label (times the share of its words matched), in the other
#: names, anywhere; and an exact label.
LABEL, NAMES, ANYWHERE, EXACT = 8.0, 4.0, 1.0, 100.0
#: The layout of the file (``PRAGMA user_version``): an index of another layout is not read.
VERSION = 1
#: The matches a query reads and ranks (and counts); also the deepest result one can page to.
CANDIDATES = 500
SCHEMA = """
CREATE TABLE resources (
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL, label TEXT NOT NULL, folded TEXT NOT NULL,
  type_iri TEXT NOT NULL, type_label TEXT NOT NULL, names TEXT NOT NULL,
  folded_names TEXT NOT NULL, description TEXT NOT NULL, weight REAL NOT NULL);
CREATE INDEX resources_folded ON resources (folded);
CREATE VIRTUAL TABLE text USING fts5(
  label, names, description, content='', prefix='2 3', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE vocabulary USING fts5vocab(text, row);
CREATE TABLE terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE deletions (
  variant TEXT NOT NULL, term TEXT NOT NULL, PRIMARY KEY (variant, term)) WITHOUT ROWID;
"""
NAMES_SEPARATOR = "\n"  # between the other names in resources.names
#: Query words read, and letters per word: the rest of a long query is ignored.
MAX_WORDS, MAX_LETTERS = 12, 64


def fold(text: str) -> str:
    """Text as the index compares it: lower case, without accents.

    >>> fold("Łódź, Tromsø and Ísafjörður")
    'lodz, tromso and isafjordur'
    """
    if text.isascii():  # most of the index: nothing to take off
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(SPELLED)


def words(text: str) -> list[str]:
    """The folded words of a text, as indexed and as searched.

    >>> words('University of "Turku"* NEAR(x)')
    ['university', 'of', 'turku', 'near', 'x']
    """
    return WORD.findall(fold(text))


def deletions(word: str) -> set[str]:
    """The word with one letter taken out, each way.

    >>> sorted(deletions("tur"))
    ['tr', 'tu', 'ur']
    """
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insertions, deletions, substitutions and swaps of two
    neighbours (optimal string alignment).

    >>> distance("univrsity", "university"), distance("trku", "turku"), distance("ab", "ba")
    (1, 1, 1)
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    """How many typos a query word may hold: none under four letters, two from eight.

    >>> [allowed_edits(w) for w in ("eu", "trku", "universty")]
    [0, 1, 2]
    """
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


@dataclass(frozen=True)
class Entry:
    """A resource as the build gives it to the index."""

    iri: str
    label: str
    type_iri: str
    type_label: str
    names: tuple[str, ...]
    description: str
    #: Multiplies the resource's score: below 1 for what people look for less (participations).
    weight: float = 1.0


def write(path: Path, entries: Iterable[Entry]) -> None:
    """Write the index of ``entries`` to a new SQLite file at ``path``, the likeliest first
    (weight, then the fewest words of label); the same entries give the same bytes."""
    path.unlink(missing_ok=True)
    rows: list[tuple[tuple[float, int, str, str], Entry, str, str, str, str]] = []
    for e in entries:
        names = NAMES_SEPARATOR.join(e.names)
        label, other, text = (words(t) for t in (e.label, names, e.description))
        order = (-e.weight, len(label), fold(e.label), e.iri)
        rows.append((order, e, names, " ".join(label), " ".join(other), " ".join(text)))
    rows.sort(key=lambda row: row[0])
    db = sqlite3.connect(path)
    try:
        # A new file that is renamed into place only when whole: no journal is needed.
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + SCHEMA)
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.executemany(
            "INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((n, e.iri, e.label, label, e.type_iri, e.type_label, names, other, e.description,
              e.weight) for n, (_, e, names, label, other, _) in enumerate(rows, 1)),
        )  # fmt: skip
        db.executemany(
            "INSERT INTO text (rowid, label, names, description) VALUES (?, ?, ?, ?)",
            ((n, label, other, text) for n, (_, _, _, label, other, text) in enumerate(rows, 1)),
        )
        del rows
        db.execute("INSERT INTO terms SELECT term, doc FROM vocabulary ORDER BY term")
        terms = [t for (t,) in db.execute("SELECT term FROM terms")]
        db.executemany(
            "INSERT OR IGNORE INTO deletions VALUES (?, ?)",
            ((v, t) for t in terms if len(t) >= 3 for v in sorted(deletions(t))),
        )
        db.execute("INSERT INTO text (text) VALUES ('optimize')")
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()


#: A snippet: runs of text, each marked when it is a word the query matched.
Snippet = tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Hit:
    """A resource found, with the piece of its text that matched."""

    iri: str
    label: str
    type_iri: str
    type_label: str
    description: str
    snippet: Snippet
    #: Higher is better; comparable within one answer only.
    score: float
    #: Its other names (short names, names as written, codes), as the build gave them.
    names: tuple[str, ...] = ()

    @property
    def snippet_text(self) -> str:
        """The snippet as plain text."""
        return "".join(text for text, _ in self.snippet)


@dataclass(frozen=True)
class Found:
    """A page of results, how many there are in all, and the words searched for."""

    hits: list[Hit]
    total: int
    #: The query's words as searched, with typos corrected (the first guess for each).
    understood: str
    #: Whether a word was corrected.
    corrected: bool
    #: Whether there are more than ``total`` (:data:`CANDIDATES` are counted).
    more: bool = False


@dataclass(frozen=True)
class _Query:
    """A query read: the FTS5 expression of each word, the words it may match, and the
    words as understood."""

    parts: list[str]
    wanted: frozenset[str]
    prefixes: frozenset[str]
    understood: list[str]
    corrected: bool


class Index:
    """A release's search index, opened read-only; one connection per process and thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def readable(self) -> bool:
        """Whether the file is an index of this layout (:data:`VERSION`)."""
        try:
            (found,) = self._db().execute("PRAGMA user_version").fetchone()
        except sqlite3.Error:
            return False
        return bool(found == VERSION)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():  # never a connection across a fork
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            db = self._local.db = sqlite3.connect(uri, uri=True)
            self._local.pid = os.getpid()
        return db

    def search(self, q: str, *, limit: int = 10, offset: int = 0, prefix: bool = False) -> Found:
        """The resources whose text has every word of ``q`` (each, or a term one or two typos
        from it), best first.

        :param q: what the user typed; any text (only its words are read).
        :param limit: results to return.
        :param offset: results to skip (paging).
        :param prefix: whether the last word may be the start of a word (as one types).
        """
        query = self._read(q, prefix=prefix)
        if not query.parts:
            return Found([], 0, "", False)
        ranked = self._ranked(" AND ".join(query.parts), query)
        hits = [self._hit(n, score, query) for n, score in ranked[offset : offset + limit]]
        total = min(len(ranked), CANDIDATES)
        return Found(hits, total, " ".join(query.understood), query.corrected, len(ranked) > total)

    def nearby(self, q: str, *, limit: int = 5) -> list[Hit]:
        """The best resources that have any word of ``q``: suggestions when none has all."""
        query = self._read(q, prefix=False)
        ranked = self._ranked(" OR ".join(query.parts), query) if query.parts else []
        return [self._hit(n, score, query) for n, score in ranked[:limit]]

    def _ranked(self, expression: str, query: _Query) -> list[tuple[int, float]]:
        """The ids and scores of the first :data:`CANDIDATES` matches (and one more, to tell
        there are more), best first."""
        understood = " ".join(query.understood)
        rows = self._db().execute(
            "SELECT id, folded, folded_names, weight FROM resources JOIN ("
            "  SELECT rowid AS id FROM text WHERE text MATCH ? LIMIT ?"
            ") USING (id) UNION "
            "SELECT id, folded, folded_names, weight FROM resources WHERE folded = ?",
            (expression, CANDIDATES + 1, understood),
        )

        wanted = query.wanted.union(*(self._starting(p) for p in query.prefixes))

        def share(text: str) -> float:
            found = set(text.split())
            return len(wanted.intersection(found)) / len(found) if found else 0.0

        scored = sorted(
            (-weight * (LABEL * share(folded) + NAMES * share(names) + ANYWHERE)
             - EXACT * (folded == understood), n)
            for n, folded, names, weight in rows
        )  # fmt: skip
        return [(n, -score) for score, n in scored]

    def _starting(self, prefix: str, most: int = 2000) -> set[str]:
        """The index's terms that start with ``prefix`` (the first ``most``, for ranking)."""
        rows = self._db().execute(
            "SELECT term FROM terms WHERE term >= ? AND term < ? LIMIT ?",
            (prefix, prefix + "\U0010ffff", most),
        )
        return {t for (t,) in rows}

    def _hit(self, n: int, score: float, query: _Query) -> Hit:
        iri, label, type_iri, type_label, names, description = (
            self._db()
            .execute(
                "SELECT iri, label, type_iri, type_label, names, description "
                "FROM resources WHERE id = ?",
                (n,),
            )
            .fetchone()
        )
        others = tuple(n for n in names.split(NAMES_SEPARATOR) if n)
        snippet = _snippet(description, names, query)
        return Hit(iri, label, type_iri, type_label, description, snippet, round(score, 3), others)

    def _read(self, q: str, *, prefix: bool) -> _Query:
        found = [w[:MAX_LETTERS] for w in words(q[: MAX_WORDS * (MAX_LETTERS + 1)])][:MAX_WORDS]
        parts: list[str] = []
        wanted: set[str] = set()
        prefixes: set[str] = set()
        understood: list[str] = []
        corrected = False
        for n, word in enumerate(found):
            last = prefix and n == len(found) - 1
            if self._is_term(word) or (last and self._starts_a_term(word)):
                parts.append(f'"{word}"*' if last else f'"{word}"')
                (prefixes if last else wanted).add(word)
                understood.append(word)
                continue
            near = self._near(word)
            wanted.update(near or [word])
            parts.append("(" + " OR ".join(f'"{t}"' for t in near) + ")" if near else f'"{word}"')
            understood.append(near[0] if near else word)
            corrected = corrected or bool(near)
        return _Query(parts, frozenset(wanted), frozenset(prefixes), understood, corrected)

    def _is_term(self, word: str) -> bool:
        row = self._db().execute("SELECT 1 FROM terms WHERE term = ?", (word,)).fetchone()
        return row is not None

    def _starts_a_term(self, word: str) -> bool:
        row = (
            self._db()
            .execute(
                "SELECT 1 FROM terms WHERE term > ? AND term < ? LIMIT 1",
                (word, word + "\U0010ffff"),
            )
            .fetchone()
        )
        return row is not None

    def _near(self, word: str, most: int = 5) -> list[str]:
        """The terms within :func:`allowed_edits` of ``word``, nearest and commonest first."""
        edits = allowed_edits(word)
        if not edits:
            return []
        variants = sorted({word} | deletions(word))
        marks = ", ".join("?" * len(variants))
        rows = self._db().execute(
            f"SELECT term, docs FROM terms WHERE term IN ({marks}) UNION "
            f"SELECT d.term, t.docs FROM deletions d JOIN terms t USING (term) "
            f"WHERE d.variant IN ({marks})",
            (*variants, *variants),
        )
        scored = sorted((distance(word, t), -docs, t) for t, docs in rows)
        return [t for d, _, t in scored if d <= edits][:most]


def _snippet(description: str, names: str, query: _Query, size: int = 24) -> Snippet:
    """Some words of the description (or else the other names) around the first word matched,
    or the description's first words when neither matched."""

    def matched(word: str) -> bool:
        return any(
            w in query.wanted or any(w.startswith(p) for p in query.prefixes) for w in words(word)
        )

    texts = [t for t in (description, names.replace(NAMES_SEPARATOR, "; ")) if t]
    if not texts:
        return ()
    text, first = texts[0], 0
    for candidate in texts:
        at = next((i for i, m in enumerate(WORD.finditer(candidate)) if matched(m.group())), None)
        if at is not None:
            text, first = candidate, at
            break
    tokens = list(WORD.finditer(text))
    if not tokens:
        return ()
    start = max(0, first - size // 3)
    end = min(len(tokens), start + size)
    out: list[tuple[str, bool]] = [("…", False)] if start else []
    at = tokens[start].start()
    for m in tokens[start:end]:
        out += [(text[at : m.start()], False), (m.group(), matched(m.group()))]
        at = m.end()
    out.append((text[at:] if end == len(tokens) else "…", False))
    return tuple((t, hit) for t, hit in out if t)
