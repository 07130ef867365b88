"""The peak memory of a run, measured while it runs: :class:`PeakMemory`.

A run's memory is held in three places at once: the Python process, the standalone
simulation binary it starts (a child process named ``main``), and the result files the
binary writes into a scratch folder on ``/dev/shm`` (a tmpfs, so the files are memory).
:class:`PeakMemory` polls the three every ``period`` seconds from ``/proc`` (Linux) and
keeps the largest values:

``total``
    the largest sum of the three at one moment (what the machine must hold);
``python``, ``python_at_peak``
    the Python process's largest resident memory, and its share of ``total``;
``binary``, ``binary_hwm``
    the binaries' largest resident memory, and the largest of their own high-water
    marks (``VmHWM``: the kernel's, so a peak between two polls is not missed);
``scratch``
    the largest size of the files under the scratch folder.

A process's resident memory is counted as ``RssAnon + RssFile``: pages of a tmpfs file that a
process maps (``RssShmem``: results read back with ``np.memmap``) are the scratch folder's and
are counted there once. The compiler's processes, and forks of Python between fork and exec
(which show the parent's pages as their own), are not counted. Used by
``benchmarks/memory_estimate.py``, ``benchmarks/end_to_end.py`` and ``experiments/scale.py``.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

#: the name of the standalone simulation binary's process
BINARY_NAME = "main"


def _status(pid: int) -> dict | None:
    """Name and memory fields (bytes) of ``/proc/<pid>/status``; None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    out: dict = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key == "Name":
            out["name"] = rest.strip()
        elif key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(rest.split()[0]) * 1024
    return out


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for task in tasks:
        try:
            kids += [int(x) for x in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return kids


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from ``/proc``; empty of descendants elsewhere)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def folder_bytes(folder: Path | None) -> int:
    """Bytes the files under ``folder`` occupy (their allocated blocks; 0 without a folder)."""
    if folder is None:
        return 0
    total = 0
    for dirpath, _, files in os.walk(folder):
        for f in files:
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except OSError:
                continue
            if not stat.S_ISLNK(st.st_mode):
                total += st.st_blocks * 512
    return total


class PeakMemory(threading.Thread):
    """Poll the memory of process ``pid``, its simulation binaries and the files under ``scratch``
    every ``period`` seconds until :meth:`stop` (see the module doc for what each field holds).

    Use as a context manager, or :meth:`start` and :meth:`stop`; :meth:`reset_binary` starts a new
    reading of the binaries' peak (one per run when one process runs several)."""

    def __init__(self, pid: int, scratch: Path | None = None, period: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.scratch, self.period = pid, scratch, period
        self.total = self.python = self.python_at_peak = 0
        self.binary = self.binary_hwm = self.scratch_bytes = 0
        self._stop_event = threading.Event()

    def sample(self) -> None:
        """One poll: update the peaks."""
        python, binaries = 0, []
        for p in process_tree(self.pid):
            st = _status(p)
            if not st or "RssAnon" not in st:
                continue
            if p != self.pid and st.get("name") != BINARY_NAME:
                continue
            resident = st["RssAnon"] + st["RssFile"]
            if p == self.pid:
                python = resident
            else:
                binaries.append(resident)
                self.binary_hwm = max(self.binary_hwm, st.get("VmHWM", 0))
        files = folder_bytes(self.scratch)
        self.python = max(self.python, python)
        self.binary = max(self.binary, sum(binaries))
        self.scratch_bytes = max(self.scratch_bytes, files)
        total = python + sum(binaries) + files
        if total > self.total:
            self.total, self.python_at_peak = total, python

    def reset_binary(self) -> None:
        self.binary = self.binary_hwm = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.period)

    def stop(self) -> PeakMemory:
        """Stop polling (after one last poll) and wait for the thread; returns ``self``."""
        self._stop_event.set()
        if self.is_alive():
            self.join()
        self.sample()
        return self

    def __enter__(self) -> PeakMemory:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
