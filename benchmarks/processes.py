"""The processes of a server this script started, and their memory, from ``/proc``."""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path
from typing import Any


def parents() -> dict[int, int]:
    """Every process's parent, from ``/proc``."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:  # gone meanwhile
                continue
            found[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def server_pid(port: int) -> int:
    """The ``psfkg serve`` process that this script started, listening on ``port``."""
    for pid, parent in parents().items():
        if parent != os.getpid():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and b"--port" in argv and str(port).encode() in argv:
            return pid
    raise RuntimeError(f"no psfkg serve process on port {port} among this script's children")


def tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for pid, parent in parents().items():
        children[parent].append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children[pid]
    return found


def kib(path: str, key: str) -> int | None:
    """The ``key:`` line of a ``/proc`` file, in KiB (None when the process is gone)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def memory(root: int, started: float) -> dict[str, Any]:
    """Total RSS and PSS (MiB) of ``root``'s process tree now, and how many processes it has."""
    rss = pss = processes = 0
    for pid in tree(root):
        resident = kib(f"/proc/{pid}/status", "VmRSS")
        if resident is None:
            continue
        processes += 1
        rss += resident
        pss += kib(f"/proc/{pid}/smaps_rollup", "Pss") or 0
    return {
        "t_s": round(time.monotonic() - started, 1),
        "processes": processes,
        "rss_mib": rss / 1024,
        "pss_mib": pss / 1024,
    }
