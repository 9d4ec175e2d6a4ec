"""The ``psfkg`` command: build | validate | import-page | serve.

Exit codes follow pySHACL: 0 conforms (or done), 1 the data does not conform, 2 an error.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import click

from . import __version__, release
from .build import pipeline
from .build.records import load
from .config import Settings
from .errors import PsfkgError
from .progress import Progress, peak_memory, read_costs, save_costs
from .sources.cbss import parse_file
from .sources.importer import compare

#: Where ``psfkg build`` keeps its last run's seconds per record, in the releases folder (hidden:
#: not a release); ``--reference`` builds keep their own.
COSTS = ".build-costs{}.json"
DATA = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of records. Default: the data_dir setting (data/).",
)
REFERENCE = click.option(
    "--reference",
    is_flag=True,
    help="Reason with owlrl and validate with pySHACL (slower; same results).",
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
@REFERENCE
def build(data_dir: Path | None, out_dir: Path | None, reference: bool) -> None:
    """Build a release: records -> RDF -> reasoning -> SHACL -> release directory.

    Prints the new release's directory as the last line of output.
    """
    settings = Settings.from_env()
    releases_dir = out_dir or settings.releases_dir
    # The last build's seconds per record, kept beside the releases, estimate this one.
    costs = releases_dir / COSTS.format("-reference" if reference else "")
    progress = Progress(costs=read_costs(costs), memory=peak_memory)
    built = pipeline.build(
        data_dir or settings.data_dir,
        releases_dir,
        base=settings.base_iri,
        progress=progress,
        reference=reference,
    )
    save_costs(costs, progress)
    click.echo(built.report.text(), err=True)
    click.echo(built.path)


@cli.command()
@DATA
@REFERENCE
def validate(data_dir: Path | None, reference: bool) -> None:
    """Check the records and the built graph without writing anything (exit 0, 1 or 2)."""
    settings = Settings.from_env()
    checked = pipeline.check(data_dir or settings.data_dir, Progress(), reference=reference)
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
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--host", help="Address to listen on. Default: the host setting (127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on. Default: the port setting (8000).")
@click.option("--workers", type=int, help="Web worker processes. Default: the workers setting.")
@DATA
@OUT
def serve(
    files: tuple[Path, ...],
    host: str | None,
    port: int | None,
    workers: int | None,
    data_dir: Path | None,
    out_dir: Path | None,
) -> None:
    """Serve the PSF release (built first if there is no good one), or any RDF FILES, over HTTP.

    FILES may be Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML: triples go to the default
    graph, quads to their named graphs.
    """
    from .serving import serve as run
    from .web import create_app

    env = Settings.from_env()
    settings = replace(
        env,
        host=host or env.host,
        port=port or env.port,
        workers=workers or env.workers,
        releases_dir=out_dir or env.releases_dir,
    )
    if not files and not any(_opens(p) for p in release.candidates(settings.releases_dir)):
        pipeline.build(
            data_dir or settings.data_dir,
            settings.releases_dir,
            base=settings.base_iri,
            progress=Progress(),
        )
    what = ", ".join(f.name for f in files) or f"release {release.latest(settings.releases_dir)}"
    click.echo(serving_message(settings, what), err=True)
    sys.exit(run(lambda: create_app({"SETTINGS": settings, "FILES": list(files)}), settings))


def serving_message(settings: Settings, what: str) -> str:
    """What ``psfkg serve`` says first: what it serves, the site's root, then the endpoint.

    >>> from psfkg.config import Settings
    >>> said = serving_message(Settings.from_env({}), "release 20260101T000000Z")
    >>> said.split(" at ")[0]
    'psfkg: serving https://w3id.org/psfkg/ (release 20260101T000000Z)'
    >>> said.split(" at ")[1]
    'http://127.0.0.1:8000/ (SPARQL endpoint: http://127.0.0.1:8000/sparql)'
    """
    root = f"http://{settings.host}:{settings.port}/"
    return f"psfkg: serving {settings.base_iri} ({what}) at {root} (SPARQL endpoint: {root}sparql)"


@cli.command()
@click.option(
    "--projects", type=click.IntRange(min=1), required=True, help="How many projects to make."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The data directory to write (created; must not hold records already).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random choices.")
def synth(projects: int, out_dir: Path, seed: int) -> None:
    """Write a synthetic data directory of the PSF's shape, for benchmarks and scale tests."""
    from .sources import synth as synthetic

    synthetic.write(out_dir, projects=projects, seed=seed)
    click.echo(out_dir)


@cli.command()
@OUT
@click.option("--gsp", help="The store's Graph Store Protocol URL. Default: the store_gsp setting.")
@click.option("--user", help="User name for the store. Default: the store_user setting.")
@click.option(
    "--bulk",
    is_flag=True,
    help="Load with Virtuoso's bulk loader over isql-vt (the store_isql and store_load_dir "
    "settings), replacing the release's graphs, then check each graph's count.",
)
def publish(out_dir: Path | None, gsp: str | None, user: str | None, bulk: bool) -> None:
    """Load the latest release into a triple store, graph by graph (Graph Store Protocol PUT),
    or with --bulk through Virtuoso's bulk loader.

    The password is read from PSFKG_STORE_PASSWORD, never from the command line.
    """
    from .query.bulk import bulk_publish
    from .query.remote import publish as put_graphs

    settings = Settings.from_env()
    folder = out_dir or settings.releases_dir
    current = release.latest(folder)
    if current is None and (folder / release.MANIFEST).is_file():
        raise PsfkgError(
            f"{folder} is a release, not a folder of releases: give --out its parent folder"
        )
    if current is None:
        raise PsfkgError(f"no release to publish in {folder}: run psfkg build first")
    if bulk:
        sent = bulk_publish(
            release.Published.open(current),
            isql=settings.store_isql,
            load_dir=settings.store_load_dir,
            user=user or settings.store_user or "dba",
            password=settings.store_password,
            progress=Progress(),
        )
    else:
        target = gsp or settings.store_gsp
        if not target:
            raise PsfkgError("no Graph Store Protocol URL: give --gsp or set PSFKG_STORE_GSP")
        sent = put_graphs(
            release.Published.open(current).dataset_file,
            target,
            user=user or settings.store_user or None,
            password=settings.store_password or None,
        )
    for graph, count in sent.items():
        click.echo(f"{count:>9} triples -> <{graph}>", err=True)
    click.echo(current)


@cli.command()
@OUT
def rollback(out_dir: Path | None) -> None:
    """Point latest at the release before it (the newest earlier one that is good).

    A server watching the folder switches to it within a second.
    """
    settings = Settings.from_env()
    folder = out_dir or settings.releases_dir
    current = release.latest(folder)
    if current is None:
        raise PsfkgError(f"no release in {folder}")
    earlier = [p for p in release.candidates(folder) if p.name < current.name]
    for candidate in earlier:
        if not _opens(candidate):
            continue
        release.point_latest(folder, candidate.name)
        click.echo(candidate)
        return
    raise PsfkgError(f"no good release before {current.name} to roll back to")


@cli.command("releases")
@OUT
def releases_(out_dir: Path | None) -> None:
    """List the releases, oldest first: id, dataset version, date, size on disk, and which is
    latest (folders that do not open are named on stderr, not listed)."""
    folder = out_dir or Settings.from_env().releases_dir
    current = release.latest(folder)
    found = release.history(folder)
    if not found:
        raise PsfkgError(f"no release in {folder}: run `psfkg build` first")
    for r in found:
        mark = "  latest" if current is not None and r.name == current.name else ""
        click.echo(
            f"{r.name}  {release.dataset_version(r.manifest, r.name):<14}  {r.manifest['date']}"
            f"  {_size(disk_bytes(r.path)):>9}{mark}"
        )


@cli.command()
@OUT
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    help="Releases to keep, the newest. Default: the keep_releases setting (0: all).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
def prune(out_dir: Path | None, keep: int | None, dry_run: bool) -> None:
    """Remove the oldest releases beyond the ones to keep; never the latest, nor the one
    rollback would point latest at. Prints each release removed."""
    settings = Settings.from_env()
    folder = out_dir or settings.releases_dir
    keeping = settings.keep_releases if keep is None else keep
    if keeping == 0:
        click.echo("keeping every release (PSFKG_KEEP_RELEASES is 0)", err=True)
    for r in release.prunable(folder, keeping):
        size = _size(disk_bytes(r.path))
        if not dry_run:
            shutil.rmtree(r.path)
        click.echo(f"{'would remove' if dry_run else 'removed'} {r.name} ({size})")


def disk_bytes(path: Path) -> int:
    """Bytes of the files under a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _size(n: int) -> str:
    """Bytes for a person: ``812 B``, ``12.3 MB``."""
    size, unit = float(n), "B"
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            break
        size /= 1000
    return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"


def _opens(path: Path) -> bool:
    """Whether a release opens (every file matches its checksum); if not, say why."""
    try:
        release.Published.open(path)
    except PsfkgError as exc:
        click.echo(f"skipping {path.name}: {exc}", err=True)
        return False
    return True


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
