"""Sweeps: many DIRECT runs (models x engines x parameters x seeds) on Dask.

A :class:`Sweep` is a list of :class:`RunSpec` (causal model, engine, backend,
seed and ``--set``-style overrides), written in Python
(``Sweep(runs=[...])``, :meth:`Sweep.grid`) or in a TOML file::

    [sweep]
    models = ["alzheimer"]
    engines = ["spiking", "rate"]
    backend = "cpp_standalone"
    seeds = "0-5"                 # N, "A-B", "A,B,C" or a list of integers
    # figures = true              # per-run figures (off by default in sweeps)
    # split_shapes = false        # keep each network shape on one worker (default: halve
    #                             # shape groups across otherwise idle workers)
    # out = "sweeps/robustness"   # default output folder

    [sweep.grid]                  # every combination of these values
    encoding = ["rate"]
    separation = [15, 10, 6.7]

    [sweep.set]                   # fixed overrides of every run
    "protocol.couple_steps" = 20

    [[sweep.runs]]                # optional extra runs, one table each
    model = "alzheimer"
    engine = "rate"
    seeds = [7]
    set = {lead = "2ms"}

Every run is checked (``apply_overrides`` + ``validate``, model and encoding)
before anything starts; a bad sweep raises :class:`SweepError`.

:func:`run_sweep` executes the runs on ``dask.distributed`` (a
``LocalCluster`` with one single-threaded worker process per core, or an
existing scheduler given by ``scheduler=`` / ``$DASK_SCHEDULER_ADDRESS``).
Runs that share a network shape (same model, engine, backend and overrides;
only the seed differs) are pinned to one worker and run back to back there, so
a worker compiles a standalone build at most once per shape and re-runs it.

Output, under ``DIR``::

    sweep.json                   the sweep (every run's spec and key)
    runs/<key>/spec.json         the run's spec, written before it starts
    runs/<key>/result.json       pipeline.run's result (atomic; its presence = done)
    runs/<key>/error.json        message and traceback of a failed run
    summary.csv, summary.parquet one row per run: spec, status, metrics, timing
    sweep.png                    metrics per grid point and engine (mean +- sd over seeds)

A rerun skips the runs whose ``result.json`` exists (resume) and, unless
``retry_failed``, the runs that failed before. A ``result.json`` whose
recorded parameters differ from the run's resolved parameters (the package's
defaults changed since) is *stale*: it is renamed ``result.stale.json`` and
the run is done again.

Modules: :mod:`.spec` (one run: :class:`RunSpec`), :mod:`.grid` (:class:`Sweep`: grids, TOML,
validation), :mod:`.task` (one run on a worker and the files of its folder), :mod:`.plan`
(network shapes and their assignment to workers), :mod:`.execute` (:func:`run_sweep` on Dask),
:mod:`.summary` (the summary table), :mod:`.figure` (``sweep.png``), :mod:`.cli` (the command line).
"""

from ..errors import SweepError
from .cli import add_parser, cmd_sweep, main
from .execute import MAX_ATTEMPTS, SCHEDULER_ENV, default_workers, run_sweep
from .figure import PANELS, sweep_figure
from .grid import RUN_KEYS, SWEEP_KEYS, Sweep, parse_seeds
from .plan import network_shape, plan
from .spec import RESERVED, RunSpec
from .summary import BASE_COLUMNS, METRICS, TIMING, summarize, write_table
from .task import execute_run, write_error

__all__ = [
    "BASE_COLUMNS",
    "MAX_ATTEMPTS",
    "METRICS",
    "PANELS",
    "RESERVED",
    "RUN_KEYS",
    "SCHEDULER_ENV",
    "SWEEP_KEYS",
    "TIMING",
    "RunSpec",
    "Sweep",
    "SweepError",
    "add_parser",
    "cmd_sweep",
    "default_workers",
    "execute_run",
    "main",
    "network_shape",
    "parse_seeds",
    "plan",
    "run_sweep",
    "summarize",
    "sweep_figure",
    "write_error",
    "write_table",
]
