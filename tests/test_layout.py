"""The tree shows the architecture: two programs (build/, and query/ with web/) joined by the
release, which both read only through psfkg.release."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import psfkg

PACKAGE = Path(psfkg.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
#: Longest module, in lines: longer ones are split by concept.
MAX_LINES = 400


def imported(path: Path) -> set[str]:
    """The psfkg modules a module imports, as dotted names."""
    package = ["psfkg", *path.relative_to(PACKAGE).parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                stem = package[: len(package) - node.level + 1]
                name = ".".join([*stem, node.module] if node.module else stem)
            else:
                name = node.module or ""
            found.update(f"{name}.{a.name}" for a in node.names)
            found.add(name)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {n for n in found if n.startswith("psfkg")}


def within(folder: str) -> list[Path]:
    return [p for p in MODULES if p.relative_to(PACKAGE).parts[0] == folder]


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [("build", ("psfkg.query", "psfkg.web")), ("web", ("psfkg.build",)), ("query", ("psfkg.web",))],
)
def test_the_programs_meet_only_in_the_release(folder: str, forbidden: tuple[str, ...]) -> None:
    for path in within(folder):
        wrong = sorted(n for n in imported(path) if n.startswith(forbidden))
        assert wrong == [], f"{path.relative_to(PACKAGE)} imports {wrong}"


def test_the_web_tier_never_reads_the_checkout() -> None:
    for path in within("web"):
        text = path.read_text(encoding="utf-8")
        for word in ("PROJECT_ROOT", "data_dir"):
            assert word not in text, f"{path.relative_to(PACKAGE)} mentions {word}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_too_long(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
