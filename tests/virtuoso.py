"""Start a real OpenLink Virtuoso (Debian's virtuoso-opensource-7-bin) on 127.0.0.1 for tests.

The fixture writes a virtuoso.ini into a temporary folder (database, log and ports of its own),
starts ``virtuoso-t`` in the foreground, waits for its SPARQL endpoint, and stops it afterwards.
Its ``load/`` folder is in ``DirsAllowed``, for ``psfkg publish --bulk``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .live import free_port, stop

BINARY = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
ServerThreads = 20
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryMem = 500M
DirsAllowed = ., {dir}, {dir}/load

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {dir}
ServerThreads = 20
MaxClientConnections = 20
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 120
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its SPARQL endpoint, Graph Store Protocol URL, SQL address (isql) and
    the folder its bulk loader may read (dba/dba)."""

    sparql: str
    gsp: str
    isql: str
    load_dir: Path
    user: str = "dba"
    password: str = "dba"

    def env(self) -> dict[str, str]:
        """The ``PSFKG_*`` variables that point ``psfkg publish --bulk`` at it."""
        return {
            "PSFKG_STORE_ISQL": self.isql,
            "PSFKG_STORE_LOAD_DIR": str(self.load_dir),
            "PSFKG_STORE_USER": self.user,
            "PSFKG_STORE_PASSWORD": self.password,
        }


@contextmanager
def virtuoso(
    folder: Path,
    startup: float = 60,
    ports: tuple[int, int] | None = None,
    *,
    buffers: int = 20000,
) -> Iterator[Virtuoso]:
    """Run Virtuoso in ``folder`` until the block ends; ``ports`` (HTTP, isql) reuse a database.
    ``buffers`` is its page cache in 8 kB pages (Virtuoso's guide: 85,000 a GB it may use)."""
    assert BINARY is not None
    http, isql = ports or (free_port(), free_port())
    (folder / "load").mkdir(exist_ok=True)
    ini = INI.format(dir=folder, http=http, isql=isql, buffers=buffers, dirty=buffers * 3 // 4)
    (folder / "virtuoso.ini").write_text(ini)
    process = subprocess.Popen(
        [BINARY, "-f", "-c", str(folder / "virtuoso.ini")],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sparql = f"http://127.0.0.1:{http}/sparql"
    deadline = time.monotonic() + startup
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{sparql}?query=ASK%7B%7D", timeout=2) as response:
                    response.read()
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"Virtuoso did not start:\n{log}") from None
                time.sleep(0.2)
        gsp = f"http://127.0.0.1:{http}/sparql-graph-crud-auth"
        yield Virtuoso(sparql, gsp, f"127.0.0.1:{isql}", folder / "load")
    finally:
        stop(process)
