"""Progress of a simulation while it runs: a tqdm bar or timed messages.

The runtime backend passes :func:`reporter` to Brian2's ``report`` argument.

A standalone binary (``cpp_standalone``) would pay for Brian2's own ``report=``
on every step of every object (it reads the process clock each time; 20-30 % of
an Alzheimer run). Instead, :func:`add_reporter` adds one cell to the network
whose ``run_regularly`` operation, once every ``max(1, n_windows // TICKS)`` windows
(at most ``2 * TICKS`` times per run), calls the C++ function
``spiking_direct_progress``: it prints one line ``progress <t> of <duration> s``
on the binary's standard output and flushes it. The cell has one variable that
nothing reads, draws no random numbers and runs on a clock of its own, so the
network's results are the same to the bit with and without it; on a second
Alzheimer seed (148 ticks) the binary's network loop took 1.845 s of CPU time with
it and 1.840 s without (medians of 14 alternating runs; within the noise). Brian2
sends the standard output of a binary it runs to ``stdout.txt`` in the run's
results folder; :class:`follow` reads that file from a background thread while the
run blocks and feeds the ticks to the same reporter as a runtime run.

An exported build (:mod:`spiking_direct.export`) holds the reporter too: ``./main``
run by hand prints these lines on its standard output.

Set :data:`TICKS` to 0 before a build to leave the reporter out of it.
``cuda_standalone`` builds never hold it: its function has a C++ implementation only
(in a CUDA build the operation runs in a kernel on the GPU), so a CUDA binary shows no
progress while it runs.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

DEFAULT_TICKS = 100
#: the reporter ticks once every ``max(1, n_windows // TICKS)`` windows; 0: no reporter.
#: Read when a standalone network is built; a value other than the default is part of the build's key.
TICKS = DEFAULT_TICKS
#: seconds between two messages (no bar) or two bar updates, at most
MESSAGE_PERIOD_S = 10.0
BAR_PERIOD_S = 1.0
#: the C++ function the reporter calls, and the line it prints
FUNCTION = "spiking_direct_progress"
_LINE = re.compile(r"^progress (\S+) of (\S+) s$")


def period(progress) -> float:
    """Seconds between two reports to ``progress``: :data:`BAR_PERIOD_S` with a bar, else :data:`MESSAGE_PERIOD_S`."""
    return BAR_PERIOD_S if getattr(progress, "bars", False) else MESSAGE_PERIOD_S


class Reporter:
    """A Brian2 report callback ``(elapsed, completed, start, duration)``: a tqdm bar of the
    per cent of biological time done when ``progress.bars`` is true, else the message
    ``simulated <per cent>% (<elapsed>)`` to ``progress``. :meth:`close` ends the bar."""

    def __init__(self, progress):
        self.progress = progress
        self.bar = None
        if getattr(progress, "bars", False):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=100, unit="%", desc="simulate", leave=False)

    def __call__(self, elapsed, completed, start, duration):
        if self.bar is not None:
            self.bar.update(int(float(completed) * 100) - self.bar.n)
            if completed >= 1:
                self.close()
        else:
            self.progress(f"simulated {float(completed) * 100:.0f}% ({float(elapsed):.0f} s)")

    def close(self):
        """Close the progress bar, if one is open."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def reporter(progress) -> Reporter | None:
    """The :class:`Reporter` of ``progress`` (None for no progress)."""
    return None if progress is None else Reporter(progress)


def ticks_every(n_windows: int) -> int:
    """Windows between two ticks of the reporter for a run of ``n_windows`` (0: no reporter)."""
    return max(1, n_windows // TICKS) if TICKS > 0 else 0


def add_reporter(net, n_windows: int, T_win):
    """Add the progress cell to the Brian2 network ``net`` (a cpp_standalone build) and return it;
    None when :data:`TICKS` is 0. Its operation runs in the ``start`` slot every
    :func:`ticks_every` windows (``T_win``, a Brian2 time) of a run of ``n_windows``."""
    import brian2 as b2

    every = ticks_every(n_windows)
    if every == 0:
        return None
    total = float(n_windows * T_win)
    code = (
        f"double {FUNCTION}(const double t)\n"
        "{\n"
        f'    std::printf("progress %.6f of {total:.6f} s\\n", t);\n'
        "    std::fflush(stdout);\n"
        "    return 0.0;\n"
        "}\n"
    )
    func = b2.Function(
        None,
        arg_units=[b2.second],
        arg_names=["t"],
        return_unit=1,
        arg_types=["float"],
        return_type="float",
        stateless=False,
    )
    func.implementations.add_implementation("cpp", code, name=FUNCTION, compiler_kwds={"headers": ["<cstdio>"]})
    cell = b2.NeuronGroup(1, "progress_sink : 1", name="progress_reporter", namespace={FUNCTION: func})
    cell.run_regularly(
        f"progress_sink = {FUNCTION}(t)",
        dt=every * T_win,
        when="start",
        name="progress_reporter_tick",
    )
    net.add(cell)
    return cell


class follow:
    """Context manager: while its block runs (a standalone run writing ``stdout``, the
    binary's standard output), a background thread reads the reporter's lines from that
    file and passes ``report`` (a :class:`Reporter`) the fraction of the ``duration``
    (seconds) of biological time done, at most every ``period`` seconds of wall time.
    ``report`` gets 0 at the start and, when the block
    ends without an exception, 1; the thread is stopped and ``report`` closed either way."""

    POLL_S = 0.1

    def __init__(self, stdout: Path, duration: float, report: Reporter, period: float):
        self.path, self.duration, self.report, self.period = Path(stdout), float(duration), report, float(period)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="spiking_direct progress", daemon=True)
        self._t0 = self._last = None
        self._failed = False
        self.fractions: list[float] = []

    def __enter__(self):
        self._t0 = time.perf_counter()
        self._send(0.0)
        self._last = self._t0
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._stop.set()
        self._thread.join()
        try:
            if exc_type is None:
                self._send(1.0)
        finally:
            self.report.close()
        return False

    def _send(self, fraction: float) -> None:
        if self._failed:
            return
        self.fractions.append(fraction)
        try:
            self.report(time.perf_counter() - self._t0, fraction, 0.0, self.duration)
        except Exception:  # a failing callback must not break the run: it gets no more reports
            self._failed = True

    def _loop(self) -> None:
        handle, pending, latest = None, "", None
        try:
            while not self._stop.wait(self.POLL_S):
                if handle is None:
                    try:
                        handle = open(self.path, encoding="utf-8", errors="replace")
                    except OSError:  # Brian2 has not created it yet
                        continue
                pending += handle.read()
                *lines, pending = pending.split("\n")
                for line in lines:
                    m = _LINE.match(line.strip())
                    if m:
                        latest = min(float(m.group(1)) / self.duration, 1.0) if self.duration > 0 else 1.0
                if latest is not None and time.perf_counter() - self._last >= self.period:
                    self._send(latest)
                    self._last, latest = time.perf_counter(), None
        finally:
            if handle is not None:
                handle.close()
