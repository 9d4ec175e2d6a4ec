"""Every error psfkg raises on purpose. The CLI turns them into messages and exit codes.

Exit codes follow pySHACL: 0 conforms, 1 the data does not conform, 2 anything else went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


class PsfkgError(Exception):
    """Base class: a problem psfkg explains to its user instead of printing a traceback."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the records: where it is, which field, and what to do."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message}"


class RecordError(PsfkgError):
    """The records in ``data/`` are malformed: each problem names file, line and field."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ReasoningClash(PsfkgError):
    """OWL RL reasoning found an inconsistency (a member of owl:Nothing, disjoint classes...)."""

    exit_code = 1


class ValidationFailed(PsfkgError):
    """The built graph does not conform to the SHACL shapes; the message is the readable report."""

    exit_code = 1


class ReleaseError(PsfkgError):
    """A release could not be written or read; the previous release is untouched."""


class QueryRejected(PsfkgError):
    """A request the endpoint refuses before (or instead of) evaluating it: an HTTP 4xx."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class NotAcceptable(QueryRejected):
    """No format the client accepts is offered (HTTP 406); ``offered`` lists what is."""

    def __init__(self, message: str, offered: list[str]) -> None:
        self.offered = offered
        super().__init__(f"{message}; offered: {', '.join(offered)}", 406)


class QueryTimeout(PsfkgError):
    """A query ran past its wall-clock limit and was stopped (HTTP 503)."""


class LongQueriesBusy(QueryTimeout):
    """A query turned long (past a second) while the server's slots for long queries were all
    taken, or while its client had a long query under way already, and was stopped (HTTP 503)."""


class QueryTooLarge(PsfkgError):
    """A query needed more memory than one query is given, and was stopped (HTTP 503)."""


class StoreUnavailable(PsfkgError):
    """The store could not answer: its worker died, or a remote store is down (HTTP 503)."""
