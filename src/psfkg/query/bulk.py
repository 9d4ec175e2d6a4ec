"""``psfkg publish --bulk``: a release loaded into OpenLink Virtuoso by its bulk loader.

The release's N-Quads dump (``psfkg.nq.gz``: every quad names its graph) is copied into a folder
the server may read (its ``DirsAllowed``, psfkg's ``store_load_dir``), twice: as it is, and with
each quad's graph renamed to its staging graph. Then, over Virtuoso's ``isql-vt``, the staging
graphs are cleared, the staged copy is queued with ``ld_add`` and loaded with
``rdf_loader_run()``; ``DB.DBA.LOAD_LIST`` is read for the loader's error, and the triples of
each staging graph are counted and compared with the manifest. Only then are the release's
graphs cleared and the dump loaded into them the same way, the staging graphs dropped, the
store made durable with ``checkpoint`` and the graphs counted again. A failure before that
drops the staging graphs and leaves the release's graphs as they were. One publish at a time
holds the load folder (``flock``); a second is refused.

The password never appears on a command line (where ``ps`` shows it to every user): ``isql-vt``
is started without one, so it asks for it, and reads it from its standard input, ahead of the
statements. It does not ask for the user ``dba``, whose password it takes to be ``dba``: that
user is named ``DBA`` (Virtuoso's user names ignore case), so it asks for it too.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import PsfkgError
from ..progress import Progress
from ..release import Published

#: Debian's name for Virtuoso's interactive SQL client (``isql`` is unixODBC's).
ISQL = "isql-vt"
#: The dump that is loaded: the whole dataset, each quad in its named graph.
DUMP = "psfkg.nq.gz"
#: isql's options: no banner, prompt or timings, errors on standard output among the rows.
QUIET = ("VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT", "BLOBS=ON")
#: What may stand in an IRI or a path pasted into isql's SQL: no quote, backslash, space, ``>``.
SAFE = re.compile(r"[^'\\<>\"{}|^`\s\x00-\x1f]+")
#: The longest command-line argument Linux passes, its final NUL included (MAX_ARG_STRLEN).
ARGUMENT = 131072
#: The start of the lines psfkg's own queries print, to tell them from isql's other output.
MARK = "psfkg:"
#: Where a graph is loaded before it replaces the release's: this prefix, then its IRI.
STAGING = "urn:psfkg:staging:"


def bulk_publish(
    published: Published,
    *,
    isql: str,
    load_dir: str,
    user: str,
    password: str,
    progress: Progress,
) -> dict[str, int]:
    """Load a release into Virtuoso with its bulk loader, replacing the release's graphs.

    The dump is loaded into staging graphs (:data:`STAGING`), which are counted against the
    manifest, and only then into the release's graphs: a load that fails, or counts that
    differ, leave the graphs as they were, and the staging graphs are dropped.

    :param published: the release (its ``psfkg.nq.gz`` and its manifest's triple counts).
    :param isql: Virtuoso's SQL address, ``host:port`` (``1111`` by default in its ini).
    :param load_dir: a folder in the server's ``DirsAllowed``, as the server sees it.
    :param user: a Virtuoso user who may load (``dba``).
    :param password: that user's password, sent on isql's standard input.
    :returns: the triples per graph, as counted in the store after loading.
    :raises PsfkgError: when isql is missing, the server is down or refuses the login, the
        folder is not allowed or not writable, another publish is loading through it, the
        loader reports an error, or a graph's count differs from the manifest's.
    """
    expected: dict[str, int] = published.manifest["triples"]
    graphs = [_safe(graph, "graph IRI") for graph in sorted(expected)]
    staging = {graph: STAGING + graph for graph in graphs}
    session = Isql(isql, user, password)
    folder = _dir(load_dir)
    source = published.file(DUMP) or published.dataset_file
    with _locked(folder):
        try:
            stage = Path(tempfile.mkdtemp(prefix=f"psfkg-{published.name}-", dir=folder))
        except OSError as exc:
            raise PsfkgError(
                f"psfkg may not write in the load folder {folder} (PSFKG_STORE_LOAD_DIR): "
                f"{exc.strerror}"
            ) from None
        try:
            files = (stage / f"staging-{DUMP}", stage / source.name)
            with progress.step("stage"):
                _restaged(source, files, staging)
            with progress.step("check"):
                _seen(session, stage, files)
            try:
                counted = _loaded(session, files, staging, expected, progress)
            except BaseException:
                # Until the second load the graphs are as they were: drop what was staged (if
                # the server can't, the next publish clears it), and report the first error.
                with suppress(PsfkgError):
                    session.run(_dropping(staging.values()), doing="dropping the staging graphs")
                raise
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return counted


def _restaged(source: Path, files: tuple[Path, Path], staging: dict[str, str]) -> None:
    """Copy the dump for the loader twice: as it is, and with each quad moved into its graph's
    staging graph (streamed, gzip to gzip): N-Quads end each line with its graph, which holds no
    space or ``<``.

    :raises PsfkgError: naming the line whose quad is in no graph of the manifest, or the
        load folder when it cannot be written.
    """
    ends = {f" <{graph}> .".encode(): f" <{to}> .\n".encode() for graph, to in staging.items()}
    opener = gzip.open if source.suffix == ".gz" else open
    staged, dump = files
    try:
        with opener(source, "rb") as lines, gzip.open(staged, "wb", compresslevel=1) as out:
            for number, line in enumerate(lines, 1):
                body = line.rstrip(b"\r\n")
                end = ends.get(body[body.rfind(b" <") :])
                if end is not None:
                    out.write(body[: body.rfind(b" <")] + end)
                elif body.strip() and not body.lstrip().startswith(b"#"):
                    raise PsfkgError(
                        f"{source.name} line {number}: the quad is in no graph of the release's "
                        f"manifest ({', '.join(f'<{graph}>' for graph in staging)})"
                    )
        shutil.copyfile(source, dump)
        staged.parent.chmod(0o755)  # the server may run as another user
        for file in files:
            file.chmod(0o644)
    except OSError as exc:
        raise PsfkgError(f"psfkg could not write in {staged.parent}: {exc.strerror}") from None


def _seen(session: Isql, stage: Path, files: Sequence[Path]) -> None:
    """Check that the server sees the staged files as psfkg wrote them (the same folder)."""
    seen = session.run(
        [
            f"SELECT length(sys_dirlist('{_safe(str(stage), 'load folder')}', 1))",
            *(
                f"SELECT '{MARK}size ' || cast(file_stat('{_safe(str(file), 'load folder')}', 1)"
                " AS varchar)"
                for file in files
            ),
        ],
        doing=f"reading {stage}",
    )
    for file in files:
        if f"{MARK}size {file.stat().st_size}" not in seen:
            raise PsfkgError(
                f"Virtuoso does not see {file} as psfkg wrote it: PSFKG_STORE_LOAD_DIR must be "
                f"the same folder for both (seen: {seen})"
            )


def _loaded(
    session: Isql,
    files: tuple[Path, Path],
    staging: dict[str, str],
    expected: dict[str, int],
    progress: Progress,
) -> dict[str, int]:
    """Load the staged copy into the staging graphs and check their counts; then (the same
    quads, so the loader takes them again) the dump into the release's graphs, and drop the
    staging graphs. The bulk loader is faster than SPARQL ``ADD``, and Virtuoso 7's ``MOVE``
    lost blank-node triples. :returns: the graphs' counts."""
    staged, dump = files
    with progress.step("staging"):
        rows = _load(session, staged, staging, after=[])
    try:
        _checked(rows, expected, dump.name)
    except PsfkgError as exc:
        raise PsfkgError(f"{exc} (staged: the store's graphs are unchanged)") from None
    with progress.step("load"):
        rows = _load(
            session,
            dump,
            {graph: graph for graph in staging},
            after=[
                *_dropping(staging.values()),
                "checkpoint",
            ],
        )
    try:
        return _checked(rows, expected, dump.name)
    except PsfkgError as exc:
        raise PsfkgError(f"{exc} (the release's graphs are partly loaded: publish again)") from None


def _load(session: Isql, file: Path, graphs: dict[str, str], *, after: list[str]) -> list[str]:
    """Clear the graphs (name -> IRI), bulk-load the file (whose quads are in those graphs),
    run ``after``; the loader's error and the graphs' counts under their names."""
    session.run(
        [
            "log_enable(3, 1)",
            *_dropping(graphs.values()),
            f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = '{file}'",
            f"ld_add('{file}', '{next(iter(graphs.values()))}')",
            "rdf_loader_run()",
        ],
        doing=f"loading {file.name}",
    )
    return session.run(
        [
            f"SELECT '{MARK}error ' || ll_error FROM DB.DBA.LOAD_LIST "
            f"WHERE ll_file = '{file}' AND ll_error IS NOT NULL",
            f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = '{file}'",
            *after,
            *_counting(graphs.items()),
        ],
        doing="counting",
    )


def _dropping(graphs: Iterable[str]) -> list[str]:
    return [f"SPARQL CLEAR GRAPH <{graph}>" for graph in graphs]


def _counting(graphs: Iterable[tuple[str, str]]) -> list[str]:
    """Queries printing, for each (name, IRI), the triples of the graph IRI under the name."""
    return [
        f"SELECT '{MARK}count {name} ' || cast(count(*) AS varchar) "
        f"FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id('{graph}')"
        for name, graph in graphs
    ]


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the load folder for one publish: a second one, started meanwhile, would load into
    the same staging graphs (the lock goes with the process, however it ends)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PsfkgError(
                f"another psfkg publish --bulk is loading through {folder}: wait for it to "
                "finish, then publish again"
            ) from None
        yield
    finally:
        os.close(handle)


def _checked(rows: Iterable[str], expected: dict[str, int], name: str) -> dict[str, int]:
    """The counts psfkg's queries printed, checked against the manifest's.

    >>> _checked(["psfkg:count urn:g 3"], {"urn:g": 3}, "psfkg.nq.gz")
    {'urn:g': 3}
    >>> _checked(["psfkg:count urn:g 6"], {"urn:g": 3}, "psfkg.nq.gz")
    Traceback (most recent call last):
    psfkg.errors.PsfkgError: graph <urn:g> holds 6 triples in the store after loading, but the release's manifest counts 3
    """  # noqa: E501
    counted = {}
    for row in rows:
        kind, _, rest = row.removeprefix(MARK).partition(" ")
        if kind == "error":
            raise PsfkgError(f"Virtuoso's bulk loader failed on {name}: {rest}")
        graph, _, count = rest.rpartition(" ")
        counted[graph] = int(count)
    for graph, triples in sorted(expected.items()):
        if counted.get(graph) != triples:
            raise PsfkgError(
                f"graph <{graph}> holds {counted.get(graph, 0)} triples in the store after "
                f"loading, but the release's manifest counts {triples}"
            )
    return counted


class Isql:
    """Statements run by ``isql-vt``, the password written to its standard input."""

    def __init__(self, address: str, user: str, password: str) -> None:
        binary = shutil.which(ISQL)
        if binary is None:
            raise PsfkgError(
                f"{ISQL} is not installed: psfkg publish --bulk needs Virtuoso's SQL client "
                "(Debian: apt-get install virtuoso-opensource-7-bin)"
            )
        if not password:
            raise PsfkgError(
                "psfkg publish --bulk needs the store's password in PSFKG_STORE_PASSWORD"
            )
        if user.startswith("-") or not user:
            raise PsfkgError(f"PSFKG_STORE_USER is not a user name: {user!r}")
        if "\n" in password or "\r" in password:
            raise PsfkgError("PSFKG_STORE_PASSWORD holds a line break: isql-vt reads one line")
        self.binary, self.address, self.password = binary, address, password
        self.user = "DBA" if user == "dba" else user

    def run(self, statements: Sequence[str], *, doing: str) -> list[str]:
        """Run statements in one session; the lines psfkg's queries printed (:data:`MARK`).

        The statements go on the command line (``EXEC=``), so that the standard input holds the
        password alone: isql reads its input as passwords until one is accepted (three tries).

        :raises PsfkgError: naming what failed, for the first error isql or the server reports.
        """
        script = " ".join(f"{statement};" for statement in statements)
        if len(f"EXEC={script}".encode()) >= ARGUMENT:
            raise PsfkgError(
                f"psfkg's statements {doing} are {len(script.encode())} bytes, more than the "
                f"{ARGUMENT} Linux passes to {ISQL} in one argument: is a graph IRI in the "
                "manifest that long?"
            )
        try:
            done = subprocess.run(
                [self.binary, self.address, self.user, *QUIET, f"EXEC={script}"],
                input=f"{self.password}\n",
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as exc:
            raise PsfkgError(f"{ISQL} could not be started: {exc.strerror}") from None
        lines = done.stdout.splitlines()
        # isql tries to log in without a password before it asks for one: that first "Bad
        # login" is the rule; a refused password is a session that ends in failure.
        errors = [(at, line) for at, line in enumerate(lines) if line.startswith("*** Error")]
        refused = [line for _, line in errors if "CL034" in line]
        for at, line in errors:
            if "CL034" not in line:
                raise PsfkgError(self._explain(line, lines[at + 2 : at + 3], doing))
        if done.returncode != 0:
            raise PsfkgError(
                self._explain(refused[-1], [], doing)
                if refused
                else (
                    f"{ISQL} failed (exit {done.returncode}) {doing}: "
                    f"{(done.stderr.strip().splitlines() or [''])[-1]}"
                )
            )
        return [line.strip() for line in lines if line.strip().startswith(MARK)]

    def _explain(self, error: str, statement: list[str], doing: str) -> str:
        message = error.split("]")[-1].strip() or error
        if "CL033" in error:
            return f"Virtuoso is not answering at {self.address} (PSFKG_STORE_ISQL): {message}"
        if "CL034" in error:
            return (
                f"Virtuoso at {self.address} refused the login of {self.user.lower()}: check "
                "PSFKG_STORE_USER and PSFKG_STORE_PASSWORD (after failed logins Virtuoso "
                "refuses every login from the address for a minute)"
            )
        if "FA003" in error:
            return (
                f"Virtuoso may not read the load folder ({message}): add PSFKG_STORE_LOAD_DIR "
                "to DirsAllowed in its virtuoso.ini"
            )
        return f"Virtuoso failed {doing}: {message} {' '.join(statement).strip()}".strip()


def _dir(load_dir: str) -> Path:
    """The load folder, which must exist here (the server reads it under the same path)."""
    if not load_dir:
        raise PsfkgError(
            "psfkg publish --bulk needs a folder Virtuoso may read: set PSFKG_STORE_LOAD_DIR"
        )
    if not Path(load_dir).is_dir():
        raise PsfkgError(f"the load folder {load_dir} (PSFKG_STORE_LOAD_DIR) is not a folder")
    return Path(load_dir).resolve()


def _safe(text: str, what: str) -> str:
    """Text pasted into isql's SQL, refused if it holds a character that could end its quotes."""
    if not SAFE.fullmatch(text):
        raise PsfkgError(f"the {what} {text!r} holds a quote, space or control character")
    return text
