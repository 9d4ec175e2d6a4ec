"""The ``psfkg`` command: build | validate | import-page | serve.

Exit codes follow pySHACL: 0 conforms (or done), 1 the data does not conform, 2 an error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, pipeline, release
from .config import Settings
from .errors import PsfkgError
from .importer import compare
from .pages import parse_file
from .progress import Progress
from .records import load

DATA = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of records. Default: the data_dir setting (data/).",
)
OUT = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of releases. Default: the releases_dir setting (releases/).",
)


@click.group()
@click.version_option(__version__, prog_name="psfkg")
def cli() -> None:
    """psfkg: the CBSS Project Support Facility knowledge graph."""


@cli.command()
@DATA
@OUT
def build(data_dir: Path | None, out_dir: Path | None) -> None:
    """Build a release: records -> RDF -> reasoning -> SHACL -> release directory.

    Prints the new release's directory as the last line of output.
    """
    settings = Settings.from_env()
    progress = Progress()
    built = pipeline.build(
        data_dir or settings.data_dir,
        out_dir or settings.releases_dir,
        base=settings.base_iri,
        progress=progress,
    )
    click.echo(built.report.text(), err=True)
    click.echo(built.path)


@cli.command()
@DATA
def validate(data_dir: Path | None) -> None:
    """Check the records and the built graph without writing anything (exit 0, 1 or 2)."""
    settings = Settings.from_env()
    checked = pipeline.check(data_dir or settings.data_dir, Progress())
    click.echo(checked.report.text())
    sys.exit(0 if checked.report.conforms else 1)


@cli.command("import-page")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@DATA
def import_page(file: Path, data_dir: Path | None) -> None:
    """Report what a source page in the CBSS format would add to or change in data/."""
    settings = Settings.from_env()
    recs = load(data_dir or settings.data_dir)
    page = parse_file(file, [c.label for c in recs.countries])
    changes = compare(page, recs)
    for change in changes:
        click.echo(str(change))
    click.echo(
        f"{file.name}: {len(page.headings)} project heading(s), {len(page.entries)} partner "
        f"entries; {len(changes)} difference(s) from {data_dir or settings.data_dir}"
    )


@cli.command()
@DATA
@OUT
def serve(data_dir: Path | None, out_dir: Path | None) -> None:
    """Build the release if there is none, and say where it is (the endpoint comes next)."""
    settings = Settings.from_env()
    releases_dir = out_dir or settings.releases_dir
    current = release.latest(releases_dir)
    if current is None:
        current = pipeline.build(
            data_dir or settings.data_dir, releases_dir, base=settings.base_iri, progress=Progress()
        ).path
    click.echo(f"The current release is {current}")


def main() -> None:
    """Run the CLI; turn psfkg's own errors into a message and an exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except PsfkgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: {exc.strerror}: {exc.filename}", err=True)
        sys.exit(2)
