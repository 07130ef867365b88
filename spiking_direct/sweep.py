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
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import os
import re
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from . import settings as _settings
from .errors import CLIError, SpikingDirectError, SweepError
from .seeds import parse_seeds as parse_text

SCHEDULER_ENV = _settings.SETTINGS["scheduler"].variable
RESERVED = ("model", "engine", "backend", "seed")
MAX_ATTEMPTS = 3  # tries of a run whose worker process dies under it
SWEEP_KEYS = (
    "models",
    "model",
    "engines",
    "engine",
    "backends",
    "backend",
    "seeds",
    "grid",
    "set",
    "runs",
    "figures",
    "split_shapes",
    "out",
    "name",
)
RUN_KEYS = ("model", "engine", "backend", "seed", "seeds", "set")
METRICS = ("precision_at_k", "recall_at_k", "auroc", "average_precision", "shd")
TIMING = ("build_s", "simulate_s", "analyse_s", "total_s", "reused_build")


# --------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------
def _set_text(key: str, value) -> str:
    """The ``--set`` text of an override value (also its canonical form in keys)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SweepError(f"override {key}={value!r}: not a finite number")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value.strip()
    from brian2 import Quantity

    if isinstance(value, Quantity):  # a Brian2 quantity: its value in the best unit, e.g. '5. ms'
        return str(value)
    raise SweepError(
        f"override {key}={value!r}: expected a string, number, quantity or boolean, not {type(value).__name__}"
    )


def _slug(text: str) -> str:
    if text.endswith(".json") or text.endswith(".bif") or "/" in text:
        text = Path(text).stem
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_") or "model"


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep. ``overrides`` are ``--set`` pairs, applied in order
    (a mapping or ``(key, value)`` pairs; values are strings, numbers or booleans).
    ``backend`` is ignored (stored as ``None``) for the rate engine."""

    model: str = "alzheimer"
    engine: str = "spiking"
    backend: str | None = "cpp_standalone"
    seed: int = 0
    overrides: tuple = ()

    def __post_init__(self):
        ov = self.overrides
        items = list(ov.items()) if isinstance(ov, Mapping) else list(ov or ())
        pairs = []
        for item in items:
            if isinstance(item, str):  # "key=value"
                if "=" not in item:
                    raise SweepError(f"override {item!r}: expected key=value")
                k, v = item.split("=", 1)
                item = (k.strip(), v.strip())
            if len(item) != 2:
                raise SweepError(f"override {item!r}: expected (key, value)")
            k, v = str(item[0]).strip(), item[1]
            if k in RESERVED:
                raise SweepError(
                    f"override {k!r}: set the {k} of a run with the sweep's "
                    f"{'seeds' if k == 'seed' else k + 's'}, not as an override"
                )
            _set_text(k, v)
            pairs.append((k, v))
        keys = [k for k, _ in pairs]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise SweepError(f"override(s) {dup} given twice in one run")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SweepError(f"seed must be an integer >= 0, got {self.seed!r}")
        if not isinstance(self.model, str) or not self.model:
            raise SweepError(f"model must be a non-empty string, got {self.model!r}")
        if not isinstance(self.engine, str):
            raise SweepError(f"engine must be a string, got {self.engine!r}")
        object.__setattr__(self, "overrides", tuple(pairs))
        if self.engine == "rate":
            object.__setattr__(self, "backend", None)
        elif self.backend is None:
            object.__setattr__(self, "backend", "cpp_standalone")  # RunConfig's default

    # -- identity ----------------------------------------------------------
    def _canonical(self, seed: bool = True) -> str:
        blob = {
            "model": self.model,
            "engine": self.engine,
            "backend": self.backend,
            "overrides": sorted([k, _set_text(k, v)] for k, v in self.overrides),
        }
        if seed:
            blob["seed"] = int(self.seed)
        return json.dumps(blob, sort_keys=True, separators=(",", ":"))

    @property
    def key(self) -> str:
        """Stable name of the run: ``<model>-<engine>-s<seed>-<sha1[:10]>``."""
        digest = hashlib.sha1(self._canonical().encode()).hexdigest()[:10]
        return f"{_slug(self.model)}-{self.engine}-s{int(self.seed)}-{digest}"

    @property
    def shape(self) -> str:
        """Group of runs that share a network shape (the spec without its seed)."""
        return hashlib.sha1(self._canonical(seed=False).encode()).hexdigest()[:10]

    @property
    def set_items(self) -> list[str]:
        return [f"{k}={_set_text(k, v)}" for k, v in self.overrides]

    def label(self) -> str:
        parts = [self.model, self.engine] + ([self.backend] if self.backend else []) + [f"seed {self.seed}"]
        return " ".join(parts + self.set_items)

    # -- config ------------------------------------------------------------
    def config(self):
        """The RunConfig of this run (overrides applied, validated)."""
        from .config import RunConfig, apply_overrides

        cfg = RunConfig(
            model=self.model, engine=self.engine, backend=self.backend or "cpp_standalone", seed=int(self.seed)
        )
        cfg = apply_overrides(cfg, self.set_items)
        cfg.validate()
        return cfg

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "model": self.model,
            "engine": self.engine,
            "backend": self.backend,
            "seed": int(self.seed),
            "overrides": {k: v for k, v in self.overrides},
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "RunSpec":
        return cls(
            model=d["model"],
            engine=d["engine"],
            backend=d.get("backend"),
            seed=int(d["seed"]),
            overrides=tuple((d.get("overrides") or {}).items()),
        )


def parse_seeds(value) -> list[int]:
    """Seeds from TOML/Python: an int, a list of ints, or text ``N``, ``A-B``, ``A,B,C``."""
    if isinstance(value, bool):
        raise SweepError(f"bad seeds {value!r}: expected N, 'A-B', 'A,B,C' or a list of integers")
    if isinstance(value, int):
        seeds = [value]
    elif isinstance(value, str):
        try:
            seeds = parse_text(value)
        except CLIError as exc:
            raise SweepError(f"bad seeds: {exc}") from None
    elif isinstance(value, (list, tuple, range)):
        seeds = list(value)
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise SweepError(f"bad seeds {value!r}: every seed must be an integer")
    else:
        raise SweepError(f"bad seeds {value!r}: expected N, 'A-B', 'A,B,C' or a list of integers")
    if not seeds:
        raise SweepError("seeds: no seed given")
    if any(s < 0 for s in seeds):
        raise SweepError(f"bad seeds {value!r}: seeds must be >= 0")
    return list(dict.fromkeys(seeds))


def _as_list(name: str, value) -> list:
    if isinstance(value, (list, tuple)):
        if not value:
            raise SweepError(f"{name}: empty list")
        return list(value)
    return [value]


# --------------------------------------------------------------------------
# Sweep
# --------------------------------------------------------------------------
@dataclass
class Sweep:
    """A list of runs (duplicates removed, order kept) and sweep-wide options."""

    runs: list = field(default_factory=list)
    figures: bool = False  # per-run figures (pipeline.run(figures=...))
    split_shapes: bool = True  # halve shape groups across idle workers (see plan)
    out: str | None = None  # default output folder
    name: str | None = None

    def __post_init__(self):
        unique: dict[str, RunSpec] = {}
        for r in self.runs:
            r = r if isinstance(r, RunSpec) else RunSpec(**r)
            unique.setdefault(r.key, r)  # a run listed twice runs once
        self.runs = list(unique.values())

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self):
        return iter(self.runs)

    @classmethod
    def grid(
        cls,
        models: Iterable[str] = ("alzheimer",),
        engines: Iterable[str] = ("spiking",),
        seeds=(0,),
        overrides: Mapping[str, Any] | None = None,
        fixed: Mapping[str, Any] | None = None,
        backend: str | Iterable[str] = "cpp_standalone",
        **options,
    ) -> "Sweep":
        """Every combination of ``models`` x ``engines`` x backends x ``overrides`` (key -> list of
        values) x ``seeds``; ``fixed`` overrides go into every run (before the grid values)."""
        return cls(runs=_grid_runs(models, engines, backend, seeds, overrides or {}, fixed or {}), **options)

    @classmethod
    def from_dict(cls, doc: Mapping, source: str = "sweep") -> "Sweep":
        """From the parsed TOML document (``{"sweep": {...}}``)."""
        if not isinstance(doc, Mapping) or "sweep" not in doc:
            raise SweepError(f"{source}: no [sweep] table")
        extra = sorted(set(doc) - {"sweep"})
        if extra:
            raise SweepError(f"{source}: unknown top-level key(s) {extra}; everything goes under [sweep]")
        sw = doc["sweep"]
        if not isinstance(sw, Mapping):
            raise SweepError(f"{source}: [sweep] must be a table")
        unknown = sorted(set(sw) - set(SWEEP_KEYS))
        if unknown:
            raise SweepError(f"{source}: unknown key(s) {unknown} in [sweep]; valid: {sorted(SWEEP_KEYS)}")
        for single, multi in (("model", "models"), ("engine", "engines"), ("backend", "backends")):
            if single in sw and multi in sw:
                raise SweepError(f"{source}: give either {single} or {multi}, not both")
        for name in ("grid", "set"):
            if name in sw and not isinstance(sw[name], Mapping):
                raise SweepError(f"{source}: [sweep.{name}] must be a table of key = value(s)")
        fixed = dict(sw.get("set", {}))
        backend = sw.get("backends", sw.get("backend", "cpp_standalone"))
        runs: list[RunSpec] = []
        has_grid = any(k in sw for k in ("models", "model", "engines", "engine", "seeds", "grid"))
        try:
            if has_grid or "runs" not in sw:
                grid = dict(sw.get("grid", {}))
                overlap = sorted(set(grid) & set(fixed))
                if overlap:
                    raise SweepError(f"{source}: {overlap} both in [sweep.grid] and [sweep.set]")
                runs += _grid_runs(
                    sw.get("models", sw.get("model", "alzheimer")),
                    sw.get("engines", sw.get("engine", "spiking")),
                    backend,
                    sw.get("seeds", 0),
                    grid,
                    fixed,
                )
            extra_runs = sw.get("runs", [])
            if not isinstance(extra_runs, list) or not all(isinstance(r, Mapping) for r in extra_runs):
                raise SweepError(f"{source}: runs must be an array of tables ([[sweep.runs]])")
            for i, r in enumerate(extra_runs):
                bad = sorted(set(r) - set(RUN_KEYS))
                if bad:
                    raise SweepError(
                        f"{source}: unknown key(s) {bad} in [[sweep.runs]] #{i + 1}; valid: {sorted(RUN_KEYS)}"
                    )
                if "seed" in r and "seeds" in r:
                    raise SweepError(f"{source}: [[sweep.runs]] #{i + 1}: give seed or seeds, not both")
                if "set" in r and not isinstance(r["set"], Mapping):
                    raise SweepError(f"{source}: [[sweep.runs]] #{i + 1}: set must be a table")
                own = dict(r.get("set", {}))
                runs += _grid_runs(
                    r.get("model", "alzheimer"),
                    r.get("engine", "spiking"),
                    r.get("backend", backend if isinstance(backend, str) else "cpp_standalone"),
                    r.get("seeds", r.get("seed", 0)),
                    {},
                    {**{k: v for k, v in fixed.items() if k not in own}, **own},
                )
        except SweepError as exc:
            msg = str(exc)
            raise SweepError(msg if msg.startswith(source) else f"{source}: {msg}") from None
        figures, split = sw.get("figures", False), sw.get("split_shapes", True)
        for name, value in (("figures", figures), ("split_shapes", split)):
            if not isinstance(value, bool):
                raise SweepError(f"{source}: {name} must be true or false")
        for name in ("out", "name"):
            if name in sw and not isinstance(sw[name], str):
                raise SweepError(f"{source}: {name} must be a string")
        return cls(runs=runs, figures=figures, split_shapes=split, out=sw.get("out"), name=sw.get("name"))

    @classmethod
    def from_toml(cls, path: str | Path) -> "Sweep":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            try:
                import tomli as tomllib
            except ImportError:
                raise SweepError("reading sweep files needs Python >= 3.11 (tomllib) or the tomli package") from None

        path = Path(path)
        try:
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
        except FileNotFoundError:
            raise SweepError(f"no such sweep file: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SweepError(f"{path} is not valid TOML: {exc}") from None
        sweep = cls.from_dict(doc, source=str(path))
        sweep.name = sweep.name or path.stem
        return sweep

    def validate(self) -> list:
        """Build and validate the RunConfig of every run; raise one SweepError for all problems."""
        from .causal import get_model
        from .encoding import Encoding

        if not self.runs:
            raise SweepError("the sweep has no runs")
        models, errors, configs = {}, {}, []
        for spec in self.runs:
            try:
                cfg = spec.config()
                if spec.model not in models:
                    models[spec.model] = get_model(spec.model)
                Encoding.for_model(models[spec.model], cfg.encoding, cfg.separation)
                configs.append(cfg)
            except SweepError as exc:
                errors.setdefault(str(exc), []).append(spec)
            except Exception as exc:  # ConfigError, ProtocolError, CausalModelError, SpikingError, ...
                errors.setdefault(str(exc) or type(exc).__name__, []).append(spec)
        if errors:
            (msg, specs), *rest = errors.items()
            n_bad = sum(len(s) for s in errors.values())
            more = f"; and {len(rest)} other problem(s)" if rest else ""
            raise SweepError(
                f"invalid sweep: {msg} (run {specs[0].label()!r}; {n_bad} of {len(self.runs)} runs invalid{more})"
            )
        return configs

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "figures": self.figures,
            "split_shapes": self.split_shapes,
            "n_runs": len(self.runs),
            "runs": [r.to_dict() for r in self.runs],
        }


def _grid_runs(models, engines, backends, seeds, grid: Mapping, fixed: Mapping) -> list[RunSpec]:
    models = _as_list("models", models)
    engines = _as_list("engines", engines)
    backends = _as_list("backends", backends)
    for name, values in (("models", models), ("engines", engines), ("backends", backends)):
        if not all(isinstance(v, str) for v in values):
            raise SweepError(f"{name} must be strings, got {values!r}")
    seeds = parse_seeds(seeds)
    for k, v in {**grid, **fixed}.items():
        if k in RESERVED:
            raise SweepError(f"{k!r} cannot be an override; use the sweep's {'seeds' if k == 'seed' else k + 's'}")
    axes = [(k, _as_list(f"grid {k!r}", v)) for k, v in grid.items()]
    runs = []
    for model, engine, backend in itertools.product(models, engines, backends):
        for values in itertools.product(*[vals for _, vals in axes]):
            ov = list(fixed.items()) + [(k, v) for (k, _), v in zip(axes, values)]
            for seed in seeds:
                runs.append(RunSpec(model=model, engine=engine, backend=backend, seed=seed, overrides=tuple(ov)))
    return runs


# --------------------------------------------------------------------------
# One run, on a worker
# --------------------------------------------------------------------------
_TEMP = re.compile(r"^\.(result\.json|recording\.npz|error\.json|spec\.json)\..+")


def _clean_temp(run_dir: Path) -> None:
    """Remove temporary files a killed writer left behind (``.result.json.XXXX``)."""
    if run_dir.is_dir():
        for p in run_dir.iterdir():
            if _TEMP.match(p.name):
                try:
                    p.unlink()
                except OSError:
                    pass


def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name)
    except Exception:
        return f"pid {os.getpid()}"


def _previous_attempts(run_dir: Path) -> int:
    try:
        return int(json.loads((run_dir / "error.json").read_text()).get("attempt", 0))
    except Exception:
        return 0


def write_error(run_dir: Path, spec: Mapping, exc: BaseException | str, tb: str = "", worker: str = "") -> dict:
    """Record a failed run in ``run_dir/error.json``."""
    import platform

    from .results import write_json

    run_dir = Path(run_dir)
    err = {
        "key": spec.get("key"),
        "spec": dict(spec),
        "type": type(exc).__name__ if isinstance(exc, BaseException) else "Error",
        "message": str(exc),
        "traceback": tb,
        "worker": worker,
        "host": platform.node(),
        "attempt": _previous_attempts(run_dir) + 1,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(run_dir / "error.json", err)
    return err


def execute_run(spec: dict, run_dir: str, figures: bool = False) -> dict:
    """Run one spec into ``run_dir`` (the task each worker executes); never raises for a failed run:
    it writes ``error.json`` and returns ``{"status": "failed", ...}``."""
    from . import pipeline

    t0 = time.perf_counter()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _clean_temp(run_dir)
    worker = _worker_name()
    try:
        res = pipeline.run(RunSpec.from_dict(spec).config(), out=run_dir, figures=figures)
    except Exception as exc:
        write_error(run_dir, spec, exc, traceback.format_exc(), worker)
        return {
            "key": spec["key"],
            "status": "failed",
            "message": f"{type(exc).__name__}: {exc}",
            "wall_s": time.perf_counter() - t0,
            "worker": worker,
        }
    try:
        (run_dir / "error.json").unlink()
    except FileNotFoundError:
        pass
    t = res.get("timing", {})
    return {
        "key": spec["key"],
        "status": "ok",
        "wall_s": time.perf_counter() - t0,
        "worker": worker,
        "reused_build": t.get("reused_build"),
        "build_s": t.get("build_s"),
        "auroc_prop": res["metrics_delta_prop"]["auroc"],
    }


# --------------------------------------------------------------------------
# Planning: shape groups -> workers
# --------------------------------------------------------------------------
def network_shape(spec: RunSpec, config=None, models: dict | None = None) -> str | None:
    """The group of runs that can share one compiled build, or None for runs that build nothing
    worth keeping (the rate engine, the runtime backend): those go to any free worker.

    Spiking runs on a standalone backend: the engine's own ``shape_key`` (network parameters,
    areas, protocol length, input sets, backend), so runs that differ only in run-time values
    (seed, separation, lead, schedule, control, ...) share a build. If that cannot be computed,
    the spec without its seed (:attr:`RunSpec.shape`)."""
    if spec.engine != "spiking" or spec.backend == "runtime":
        return None
    try:
        import numpy as np

        from .causal import get_model
        from .encoding import Encoding
        from .engines.spiking import shape_key
        from .protocol import direct_protocol

        cfg = config if config is not None else spec.config()
        models = models if models is not None else {}
        if spec.model not in models:
            models[spec.model] = get_model(spec.model)
        model = models[spec.model]
        enc = Encoding.for_model(model, cfg.encoding, cfg.separation)
        proto = direct_protocol(model, enc, cfg.protocol, np.random.default_rng(int(cfg.seed)))
        return f"{cfg.backend}:{shape_key(cfg.spiking, proto.n_areas, proto.n_windows, enc.set_area(), cfg.backend)}"
    except Exception:
        return spec.shape


def plan(
    specs: list[RunSpec], workers: list[str], shapes: Mapping[str, str | None] | None = None, split: bool = True
) -> dict[str | None, list[list[RunSpec]]]:
    """Assign runs to workers: runs of one shape (``shapes[run key]``, default
    :attr:`RunSpec.shape`) stay together on one worker, back to back (so it compiles the shape once
    and re-runs its build); shape groups go round robin to the least loaded worker. When there
    are fewer groups than workers, the largest groups are halved (each half still compiles
    once) so that no worker idles; ``split=False`` keeps every shape on one worker.
    Runs whose shape is None are not pinned: they are listed under the key None."""
    if not workers:
        raise SweepError("no Dask workers to run on")
    groups: dict[str, list[RunSpec]] = {}
    free: list[RunSpec] = []
    for s in specs:
        shape = shapes[s.key] if shapes is not None and s.key in shapes else s.shape
        if shape is None:
            free.append(s)
        else:
            groups.setdefault(shape, []).append(s)
    chunks = list(groups.values())
    while split and chunks and len(chunks) < len(workers):
        i = max(range(len(chunks)), key=lambda j: len(chunks[j]))
        if len(chunks[i]) < 2:
            break
        c = chunks.pop(i)
        h = (len(c) + 1) // 2
        chunks[i:i] = [c[:h], c[h:]]
    load = {w: 0 for w in workers}
    out: dict[str | None, list[list[RunSpec]]] = {w: [] for w in workers}
    for c in sorted(chunks, key=len, reverse=True):  # stable: sweep order among equals
        w = min(workers, key=lambda a: load[a])  # first least-loaded = round robin
        out[w].append(c)
        load[w] += len(c)
    if free:
        out[None] = [free]
    return out


# --------------------------------------------------------------------------
# Running a sweep
# --------------------------------------------------------------------------
def _fmt_time(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _status_of(run_dir: Path, params: dict | None = None) -> str:
    """``ok`` (a readable ``result.json``), ``stale`` (one whose recorded parameters differ
    from ``params``, the run's fully resolved ``RunConfig.to_dict()``: computed under other
    package defaults, so it must not be reused), ``failed`` or ``pending``."""
    from .results import as_written, read_json

    if (run_dir / "result.json").is_file():
        try:
            res = read_json(run_dir / "result.json")
            # compare as written (the same serialisation as results.write_json)
            if params is not None and res.get("params") != as_written(params):
                return "stale"
            return "ok"
        except (OSError, ValueError):
            pass
    if (run_dir / "error.json").is_file():
        return "failed"
    return "pending"


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _dashboard(client) -> str:
    import importlib.util

    link = getattr(client, "dashboard_link", None)
    if not link:
        return "dashboard: not available"
    if importlib.util.find_spec("bokeh") is None and client.cluster is not None:
        return f"dashboard: {link} (needs bokeh: pip install bokeh)"
    return f"dashboard: {link}"


def _workers_info(client) -> dict:
    """Worker address -> info, for every worker (``n_workers=-1``: some versions default to 5)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:
        info = client.scheduler_info()
    return dict(info.get("workers", {}))


class _Runner:
    """Submits pinned tasks, follows them with ``as_completed`` and reports progress."""

    def __init__(self, client, out: Path, figures: bool, progress, n_total: int, n_skipped: int, n_failed_before: int):
        from distributed import as_completed

        self.client, self.out, self.figures, self.progress = client, out, figures, progress
        self.ac = as_completed()
        self.active: dict = {}  # future key -> (future, spec, pinned worker address or None)
        self.attempts: dict[str, int] = {}
        self.names: dict[str, str] = {}  # worker address -> name
        self.n_total, self.skipped, self.failed_before = n_total, n_skipped, n_failed_before
        self.done = self.failed = 0
        self.t0 = time.perf_counter()
        self.token = os.urandom(3).hex()
        self.index = 0

    def _submit(self, spec: RunSpec, addr: str):
        from .results import write_json

        run_dir = self.out / "runs" / spec.key
        if not (run_dir / "spec.json").is_file():
            write_json(run_dir / "spec.json", spec.to_dict())
        n = self.attempts.get(spec.key, 0)
        self.index += 1
        pin = {"workers": [addr], "allow_other_workers": False} if addr is not None else {}
        fut = self.client.submit(
            execute_run,
            spec.to_dict(),
            str(run_dir),
            self.figures,
            key=f"direct_run-{spec.key}-{self.token}-{n}",
            priority=-self.index,
            pure=False,
            retries=0,
            **pin,
        )
        self.active[fut.key] = (fut, spec, addr)
        self.ac.add(fut)

    def submit(self, assignment: dict[str | None, list[list[RunSpec]]]) -> None:
        info = _workers_info(self.client)
        self.names = {a: str(w.get("name", a)) for a, w in info.items()}
        for addr, chunks in assignment.items():
            for chunk in chunks:
                for spec in chunk:
                    self._submit(spec, addr)

    def _line(self, what: str) -> str:
        finished = self.done + self.failed
        remaining = self.n_total - self.skipped - self.failed_before - finished
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / finished * remaining if finished else None
        return (
            f"[{finished + self.skipped + self.failed_before:>{len(str(self.n_total))}}/{self.n_total}] "
            f"{what} | done {self.done}, failed {self.failed}, skipped {self.skipped + self.failed_before}, "
            f"remaining {remaining} | elapsed {_fmt_time(elapsed)}, left ~{_fmt_time(eta) if remaining else '0:00'}"
        )

    def _reassign_lost(self) -> None:
        """Tasks pinned to a worker that left would wait forever: pin them elsewhere
        (to the restarted worker of the same name when there is one)."""
        info = _workers_info(self.client)
        live = {a: str(w.get("name", a)) for a, w in info.items()}
        if not live:
            return
        lost = {addr for (_, _, addr) in self.active.values() if addr is not None} - set(live)
        if not lost:
            return
        by_name = {n: a for a, n in live.items()}
        load = {a: 0 for a in live}
        for _, _, addr in self.active.values():
            if addr in load:
                load[addr] += 1
        moved: dict[str, str] = {}
        for fkey, (fut, spec, addr) in list(self.active.items()):
            if addr not in lost or fut.done():
                continue
            new = moved.get(addr) or by_name.get(self.names.get(addr, "")) or min(load, key=load.get)
            moved[addr] = new
            del self.active[fkey]
            fut.cancel()
            self.attempts[spec.key] = self.attempts.get(spec.key, 0) + 1
            if self.attempts[spec.key] >= MAX_ATTEMPTS:
                write_error(
                    self.out / "runs" / spec.key,
                    spec.to_dict(),
                    f"its worker process died {MAX_ATTEMPTS} times (killed? out of memory?)",
                )
                self.failed += 1
                self.progress(self._line(f"FAILED {spec.key}: worker lost {MAX_ATTEMPTS} times"))
                continue
            load[new] += 1
            self._submit(spec, new)
        for old, new in moved.items():
            self.progress(
                f"worker {self.names.get(old, old)} ({old}) left; its runs go to {live.get(new, new)} ({new})"
            )
        self.names.update(live)

    def follow(self) -> None:
        last_check = time.perf_counter()
        while self.active:
            batch = self.ac.next_batch(block=False)
            if not batch:
                if time.perf_counter() - last_check > 2.0:
                    self._reassign_lost()
                    last_check = time.perf_counter()
                time.sleep(0.1)
                continue
            for fut in batch:
                entry = self.active.pop(fut.key, None)
                if entry is None:  # cancelled and resubmitted elsewhere
                    continue
                _, spec, addr = entry
                if fut.status == "finished":
                    r = fut.result()
                    if r["status"] == "ok":
                        self.done += 1
                        build = (
                            "reused build"
                            if r.get("reused_build")
                            else (f"build {r['build_s']:.1f} s" if r.get("build_s") else "")
                        )
                        what = (
                            f"ok     {spec.key} ({r['wall_s']:.1f} s on worker {r['worker']}"
                            f"{', ' + build if build else ''})"
                        )
                    else:
                        self.failed += 1
                        what = f"FAILED {spec.key}: {r['message']}"
                else:  # the task itself raised (worker died, cancelled, ...)
                    self.failed += 1
                    try:
                        exc = fut.exception()
                        tb = "".join(traceback.format_tb(fut.traceback())) if fut.traceback() else ""
                    except Exception as e:  # cancelled futures have no exception
                        exc, tb = e, ""
                    write_error(self.out / "runs" / spec.key, spec.to_dict(), exc, tb, self.names.get(addr, addr))
                    what = f"FAILED {spec.key}: {type(exc).__name__}: {exc}"
                self.progress(self._line(what))


def _brian2_plugin():
    """A worker plugin that imports Brian2 in the worker's main thread (its setup runs on the
    worker's event loop), on the workers there are and on those that start later. Brian2 2.10
    installs a SIGINT handler when it is imported, which Python allows only in the main thread:
    imported first by a task (a worker runs tasks in another thread), it raised ValueError."""
    from distributed import WorkerPlugin

    class ImportBrian2(WorkerPlugin):
        name = "spiking_direct-import-brian2"

        def setup(self, worker):
            import brian2  # noqa: F401

    return ImportBrian2()


def _client(scheduler: str | None, n_workers: int):
    """(client, cluster or None): a client of ``scheduler`` or of a new LocalCluster."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        return client, None
    # workers that compile at the same time share the cores instead of each using all of them
    _settings.to_environ(make_jobs=max(1, (os.cpu_count() or 1) // max(1, n_workers)))
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    scheduler: str | None = None,
    workers: int | None = None,
    retry_failed: bool = False,
    progress: Callable[[str], None] | None = print,
    figures: bool | None = None,
    split_shapes: bool | None = None,
):
    """Run ``sweep`` into ``out`` on Dask; returns the summary table (a pandas DataFrame).

    ``scheduler``: address of a running scheduler (default ``$DASK_SCHEDULER_ADDRESS``, else a
    LocalCluster of ``workers`` single-threaded processes, default one per core). Finished runs
    are skipped; failed runs too unless ``retry_failed``. Workers must see ``out`` (same path).
    ``figures`` and ``split_shapes`` default to the sweep's options (see :func:`plan`).
    """
    from .results import write_json

    progress = progress or (lambda msg: None)
    if workers is not None and int(workers) < 1:
        raise SweepError(f"workers must be >= 1, got {workers}")
    configs = dict(zip((s.key for s in sweep), sweep.validate()))
    figures = sweep.figures if figures is None else bool(figures)
    split_shapes = sweep.split_shapes if split_shapes is None else bool(split_shapes)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "sweep.json", sweep.to_dict())
    status = {s.key: _status_of(out / "runs" / s.key, configs[s.key].to_dict()) for s in sweep}
    pending = [
        s for s in sweep if status[s.key] in ("pending", "stale") or (retry_failed and status[s.key] == "failed")
    ]
    n_ok = sum(v == "ok" for v in status.values())
    n_stale = sum(v == "stale" for v in status.values())
    n_failed = sum(v == "failed" for v in status.values()) if not retry_failed else 0
    progress(f"sweep{' ' + sweep.name if sweep.name else ''}: {len(sweep)} runs -> {out}")
    if n_ok or n_failed:
        progress(
            f"skipping {n_ok} finished run(s)"
            + (f" and {n_failed} failed run(s) (--retry-failed to re-run them)" if n_failed else "")
        )
    if n_stale:
        progress(
            f"re-running {n_stale} finished run(s) whose result.json records other parameters "
            "(package defaults changed since); the old results are kept as result.stale.json"
        )
        for key, st in status.items():
            if st == "stale":
                run_dir = out / "runs" / key
                os.replace(run_dir / "result.json", run_dir / "result.stale.json")
    if pending:
        scheduler = scheduler or _settings.scheduler
        n_workers = max(1, min(int(workers) if workers else default_workers(), len(pending)))
        client, cluster = _client(scheduler, n_workers)
        try:
            client.register_plugin(_brian2_plugin())
            if scheduler:
                progress(f"scheduler {scheduler}" + (" (workers= applies to local clusters only)" if workers else ""))
                client.wait_for_workers(1, timeout=60)
            progress(_dashboard(client))
            addrs = sorted(_workers_info(client))
            models: dict = {}
            shapes = {s.key: network_shape(s, configs[s.key], models) for s in pending}
            assignment = plan(pending, addrs, shapes, split=split_shapes)
            n_groups = len(set(shapes.values()) - {None})
            n_free = sum(v is None for v in shapes.values())
            progress(
                f"{len(pending)} run(s) to do on {len(addrs)} worker(s): "
                + ", ".join(
                    (
                        [f"{len(pending) - n_free} in {n_groups} compiled network shape(s), each pinned to one worker"]
                        if n_groups
                        else []
                    )
                    + ([f"{n_free} on any free worker"] if n_free else [])
                )
            )
            runner = _Runner(client, out, figures, progress, len(sweep), n_ok, n_failed)
            runner.submit(assignment)
            runner.follow()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    df = summarize(sweep, out)
    write_table(df, out)
    try:
        path = sweep_figure(df, out / "sweep.png")
    except Exception as exc:  # a figure must not lose the table
        progress(f"no sweep figure: {type(exc).__name__}: {exc}")
        path = None
    counts = df["status"].value_counts().to_dict()
    progress(
        f"{counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed of {len(df)}; wrote "
        f"{out / 'summary.csv'}, {out / 'summary.parquet'}" + (f", {path}" if path else "")
    )
    return df


# --------------------------------------------------------------------------
# Summary table and figure
# --------------------------------------------------------------------------
def _override_columns(sweep: Sweep) -> list[str]:
    cols: list[str] = []
    for s in sweep:
        for k, _ in s.overrides:
            if k not in cols:
                cols.append(k)
    return cols


BASE_COLUMNS = ("key", "model", "engine", "backend", "seed")


def summarize(sweep: Sweep, out: str | Path):
    """One row per run of ``sweep`` from the files under ``out/runs``."""
    import pandas as pd

    from .results import read_json

    out = Path(out)
    ov_cols = _override_columns(sweep)
    rename = {k: (f"set:{k}" if k in BASE_COLUMNS or k in ("status", "error", "dir") else k) for k in ov_cols}
    rows = []
    for s in sweep:
        run_dir = out / "runs" / s.key
        row: dict[str, Any] = {
            "key": s.key,
            "model": s.model,
            "engine": s.engine,
            "backend": s.backend,
            "seed": int(s.seed),
        }
        ov = dict(s.overrides)
        for k in ov_cols:
            row[rename[k]] = ov.get(k)
        st = _status_of(run_dir)
        row["status"] = st
        row["error"] = None
        if st == "ok":
            res = read_json(run_dir / "result.json")
            for name, m in (("delta", res.get("metrics_delta", {})), ("delta_prop", res.get("metrics_delta_prop", {}))):
                for metric in METRICS:
                    row[f"{name}_{metric}"] = m.get(metric)
            for k, v in (res.get("summary") or {}).items():
                row[k] = v
            t = res.get("timing") or {}
            for k in TIMING:
                row[k] = t.get(k)
        elif st == "failed":
            try:
                err = read_json(run_dir / "error.json")
                row["error"] = f"{err.get('type')}: {err.get('message')}"
            except (OSError, ValueError):
                row["error"] = "unreadable error.json"
        row["dir"] = str(Path("runs") / s.key)
        rows.append(row)
    metric_cols = [f"{n}_{m}" for n in ("delta", "delta_prop") for m in METRICS]
    extra = [k for row in rows for k in row if k not in metric_cols and k not in TIMING and k != "dir"]
    columns = list(
        dict.fromkeys(
            list(BASE_COLUMNS)
            + [rename[k] for k in ov_cols]
            + ["status", "error"]
            + metric_cols
            + extra
            + list(TIMING)
            + ["dir"]
        )
    )
    df = pd.DataFrame(rows, columns=columns)
    # mixed-type override columns (numbers and text) become text so parquet can store them
    for k in ov_cols:
        col = rename[k]
        kinds = {type(v) for v in df[col] if v is not None and v == v}
        if len(kinds) > 1 and not kinds <= {int, float}:
            df[col] = [None if v is None else _set_text(k, v) for v in df[col]]
    return df


def write_table(df, out: str | Path) -> None:
    """``summary.csv`` and ``summary.parquet`` (both written atomically)."""
    from .results import atomic_write_bytes, write_csv

    out = Path(out)
    write_csv(out / "summary.csv", df)
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    atomic_write_bytes(out / "summary.parquet", buf.getvalue())


PANELS = (
    ("delta_prop_auroc", "delta_prop AUROC", 0.5),
    ("delta_prop_precision_at_k", "delta_prop precision@k", None),
    ("delta_auroc", "delta AUROC", 0.5),
    ("delta_precision_at_k", "delta precision@k", None),
)


def _fmt_value(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def sweep_figure(df, path: str | Path) -> Path | None:
    """Swept metrics: mean +- sd over seeds per grid point (x) and model/engine/backend (colour)."""
    import numpy as np
    from matplotlib.figure import Figure

    from .results import atomic_write_bytes

    ok = df[df["status"] == "ok"]
    if ok.empty:
        return None
    fixed = (
        set(BASE_COLUMNS) | {"status", "error", "dir"} | {f"{n}_{m}" for n in ("delta", "delta_prop") for m in METRICS}
    )
    cols = list(df.columns)
    ov_cols = [c for c in cols[cols.index("seed") + 1 : cols.index("status")] if c not in fixed]
    varying = [c for c in ov_cols if df[c].astype(str).nunique() > 1]
    series_cols = [c for c in ("model", "engine", "backend") if df[c].astype(str).nunique() > 1] or ["engine"]

    def point_of(row):
        return tuple(row[c] for c in varying)

    points = list(dict.fromkeys(point_of(r) for _, r in df.iterrows()))
    labels = ["\n".join(f"{c}={_fmt_value(v)}" for c, v in zip(varying, p)) or "all" for p in points]
    series = list(dict.fromkeys(tuple(r[c] for c in series_cols) for _, r in df.iterrows()))
    fig = Figure(figsize=(max(6.5, 2.2 + 1.1 * len(points) * 2), 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    width = 0.7 / max(1, len(series))
    for ax, (col, title, chance) in zip(axes.flat, PANELS):
        for si, ser in enumerate(series):
            sel = ok
            for c, v in zip(series_cols, ser):
                sel = sel[sel[c].astype(str) == str(v)]
            xs, means, sds, ns = [], [], [], []
            for pi, p in enumerate(points):
                sub = sel
                for c, v in zip(varying, p):
                    sub = sub[sub[c].astype(str) == str(v)]
                vals = sub[col].dropna().astype(float).to_numpy() if col in sub else np.array([])
                if len(vals):
                    xs.append(pi + (si - (len(series) - 1) / 2) * width)
                    means.append(vals.mean())
                    sds.append(vals.std(ddof=1) if len(vals) > 1 else 0.0)
                    ns.append(len(vals))
            name = " ".join(str(v) for v in ser if v is not None)
            if xs:
                ax.errorbar(
                    xs,
                    means,
                    yerr=sds,
                    fmt="o-" if len(points) > 1 else "o",
                    capsize=3,
                    label=f"{name} (n={min(ns)}-{max(ns)})" if min(ns) != max(ns) else f"{name} (n={ns[0]})",
                )
        if chance is not None:
            ax.axhline(chance, color="0.6", ls="--", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xticks(range(len(points)), labels, fontsize=8)
        ax.set_xlim(-0.5, len(points) - 0.5)
    axes.flat[0].legend(fontsize=8, loc="lower left")
    n_failed = int((df["status"] == "failed").sum())
    fig.suptitle(
        f"sweep: {len(ok)} ok run(s)" + (f", {n_failed} failed" if n_failed else "") + " - mean +- sd over seeds",
        fontsize=11,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="sweep description (TOML, see spiking_direct.sweep)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=f"running Dask scheduler, tcp://HOST:PORT (default: ${SCHEDULER_ENV}, else a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    p.add_argument(
        "--out", default=None, metavar="DIR", help="output folder (default: 'out' in the file, else sweeps/<file name>)"
    )
    p.add_argument("--retry-failed", action="store_true", help="re-run the runs that failed before")
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` on the ``spiking-direct`` command line."""
    p = subparsers.add_parser(
        "sweep", help="run a sweep of DIRECT runs (models x engines x parameters x seeds) on Dask; resumable"
    )
    _add_arguments(p)
    p.set_defaults(func=cmd_sweep)
    return p


def cmd_sweep(args) -> int:
    """Run the sweep file; exit code 0 when every run succeeded, 1 when some failed."""
    if args.workers is not None and args.workers < 1:
        raise SweepError(f"--workers must be >= 1, got {args.workers}")
    sweep = Sweep.from_toml(args.file)
    out = args.out or sweep.out or str(Path("sweeps") / Path(args.file).stem)
    t0 = time.perf_counter()

    def report(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", file=sys.stderr, flush=True)

    df = run_sweep(
        sweep,
        out,
        scheduler=args.scheduler,
        workers=args.workers,
        retry_failed=args.retry_failed,
        progress=None if args.quiet else report,
    )
    n_failed = int((df["status"] == "failed").sum())
    print(
        f"{int((df['status'] == 'ok').sum())} ok, {n_failed} failed of {len(df)} runs: {Path(out) / 'summary.csv'}",
        flush=True,
    )
    return 1 if n_failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m spiking_direct.sweep FILE.toml [--out DIR] ...``"""
    p = argparse.ArgumentParser(
        prog="python -m spiking_direct.sweep", description="Run a sweep of DIRECT runs on Dask (resumable)."
    )
    _add_arguments(p)
    args = p.parse_args(argv)
    try:
        return cmd_sweep(args)
    except SpikingDirectError as exc:
        print(f"spiking-direct sweep: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spiking-direct sweep: interrupted (rerun to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # run through the importable module so that Dask pickles ``spiking_direct.sweep.execute_run``
    # by reference (workers cannot import ``__main__``)
    from spiking_direct.sweep import main as _main

    sys.exit(_main())
