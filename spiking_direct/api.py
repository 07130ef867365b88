"""The Python front door: ``import spiking_direct as sd``.

.. code-block:: python

    import spiking_direct as sd
    from brian2 import ms, mV

    res = sd.run("alzheimer", seed=1, tau_m=20*ms, w_max=12*mV, out="runs/alz")
    res.metrics                    # P@K, AUROC ... of both readouts (a DataFrame)
    res.links                      # one row per true link, units in the column names
    res.figure("learned_graph")    # a matplotlib Figure

Parameters are given by name with Brian2 quantities (``tau_m=20*ms``), by dotted
path (``**{"spiking.stdp.w_max": 12*mV}``) or as ``params={...}``;
:func:`params` lists them all with their defaults, units and docs. Every value is
checked before anything is built; bad input raises a
:class:`~spiking_direct.errors.SpikingDirectError` with one line naming the problem.
After every call Brian2's device, preferences, clock and magic-network scope are
as the caller left them, and a second run of the same network shape reuses the
compiled build.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .causal import CausalModel, available_models, from_data, from_pgmpy, from_tables, get_model
from .config import DEFAULT_LEARNING, LEARNING_RULES, RunConfig, apply_overrides, with_params
from .engines import get_engine
from .errors import ConfigError, suggest
from .results import Result

__all__ = [
    "run",
    "discover",
    "compare",
    "run_sweep",
    "build",
    "collect",
    "params",
    "model_from_pgmpy",
    "model_from_tables",
    "model_from_data",
    "configure",
    "causal_models",
]

model_from_pgmpy = from_pgmpy
model_from_tables = from_tables
model_from_data = from_data


def progress_printer(bars: bool = False) -> Callable[[str], None]:
    """A progress callback that prints each message on stderr with the seconds since it was made;
    ``bars``: the engines may also show progress bars (runtime and cpp_standalone simulations)."""
    t0 = time.perf_counter()

    def report(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", file=sys.stderr, flush=True)

    report.bars = bars
    return report


def _progress(progress) -> Callable[[str], None] | None:
    """``True``: timed messages on stderr; a callable: itself; ``False``/``None``: silence."""
    if progress is True:
        return progress_printer(bars=True)
    if progress in (False, None):
        return None
    if callable(progress):
        return progress
    raise ConfigError(f"progress must be True, False or a callable taking one message, got {progress!r}")


def _model(model) -> tuple[str, CausalModel | None]:
    """(name for the config, model object or None to load by name)."""
    if isinstance(model, CausalModel):
        return model.name, model
    if isinstance(model, (str, Path)):
        return str(model), None
    if hasattr(model, "get_cpds") and hasattr(model, "edges"):  # a pgmpy network
        obj = from_pgmpy(model, name=getattr(model, "name", None) or "pgmpy")
        return obj.name, obj
    raise ConfigError(
        f"model must be a name ({', '.join(available_models()[:4])}, ...), a CausalModel or a "
        f"pgmpy network, got {type(model).__name__}"
    )


#: the docs of the keywords that make a run configuration, shared by :func:`configure`,
#: :func:`run`, :func:`compare` and :func:`build` (:func:`_shared_keywords` writes them in)
_KEYWORD_DOCS = {
    "model": """model : str, CausalModel or pgmpy network
    A model name (:func:`causal_models`), a ``.bif``/``.json`` path, or a model object
    (:func:`model_from_tables`, :func:`model_from_data`, :func:`model_from_pgmpy`).""",
    "engine": """engine : {"spiking", "rate"}""",
    "backend": """backend : {"cpp_standalone", "cuda_standalone", "runtime"}
    The spiking engine's Brian2 device.""",
    "seed": """seed : int
    Fixes every random draw of the run on a given backend.""",
    "learning": """learning : {"counting", "conditional"}
    ``counting``: DIRECT as published; ``conditional``: weights that estimate
    P(target value | source value), for do() queries.""",
    "progress": """progress : bool or callable
    ``True`` prints timed progress messages on stderr; a callable receives them.""",
    "params": """params, **kwargs
    Any parameter by name or path (:func:`params`), quantities with units; among them
    ``network``, the spiking network: ``"clocked"`` (default) or ``"cortical"``
    (``run("alzheimer", network="cortical")``).""",
}

#: the defaults of those keywords (the engine, backend and seed are :class:`RunConfig`'s)
ENGINE, BACKEND, SEED, LEARNING = RunConfig.engine, RunConfig.backend, RunConfig.seed, DEFAULT_LEARNING


def _shared_keywords(fn):
    """Write the docs of the shared keywords that ``fn`` takes where its docstring says
    ``{keywords}`` (in the signature's order), and that of ``params`` at its end."""
    import inspect
    import textwrap

    names = [n for n in inspect.signature(fn).parameters if n in _KEYWORD_DOCS and n != "params"]
    text = textwrap.indent("\n".join(_KEYWORD_DOCS[n] for n in names), "    ").lstrip()
    fn.__doc__ = (
        fn.__doc__.replace("{keywords}", text).rstrip() + "\n" + textwrap.indent(_KEYWORD_DOCS["params"], "    ") + "\n"
    )
    return fn


def _config(
    model, *, engine: str, backend: str, seed: int, learning: str, data, params, kwargs
) -> tuple[RunConfig, CausalModel | None]:
    """The checked RunConfig of the shared keywords, and the model object (None: loaded by name)."""
    name, obj = _model(model)
    if learning not in LEARNING_RULES:
        raise ConfigError(
            f"unknown learning rule {learning!r}{suggest(learning, LEARNING_RULES)}; choose from {list(LEARNING_RULES)}"
        )
    cfg = RunConfig(model=name, engine=engine, backend=backend, seed=seed, data=data)
    cfg = apply_overrides(cfg, list(LEARNING_RULES[learning]))
    cfg = with_params(cfg, {**(params or {}), **kwargs})
    cfg.validate()
    return cfg, obj


@_shared_keywords
def configure(
    model: Any = "alzheimer",
    *,
    engine: str = ENGINE,
    backend: str = BACKEND,
    seed: int = SEED,
    learning: str = LEARNING,
    data: str | None = None,
    params: Mapping | None = None,
    **kwargs,
) -> RunConfig:
    """The :class:`~spiking_direct.config.RunConfig` that :func:`run` would run (checked in full).

    Parameters
    ----------
    {keywords}
    data : path, optional
        A CSV data table coupling draws value pairs from (default: sampled from the model).
    """
    cfg, _ = _config(
        model, engine=engine, backend=backend, seed=seed, learning=learning, data=data, params=params, kwargs=kwargs
    )
    return cfg


def _record(record, cfg: RunConfig, dt=None) -> dict | None:
    """``record={"v": cells}`` as the engine's monitor description."""
    if not record:
        return None
    if not isinstance(record, Mapping):
        raise ConfigError(f"record must map variable names to cell indices, e.g. {{'v': range(5)}}, got {record!r}")
    return get_engine(cfg.engine).monitors(cfg, dict(record), _dt_ms(dt, cfg))


def _dt_ms(dt, cfg) -> float:
    from brian2 import Quantity, ms, second

    if dt is None:
        return float(cfg.spiking.clock.dt / ms)
    if not isinstance(dt, Quantity) or dt.dim != second.dim or not float(dt) > 0:
        raise ConfigError(f"record_dt must be a positive time such as 0.5*ms, got {dt!r}")
    return float(dt / ms)


@_shared_keywords
def run(
    model: Any = "alzheimer",
    *,
    engine: str = ENGINE,
    backend: str = BACKEND,
    seed: int = SEED,
    learning: str = LEARNING,
    out: str | Path | None = None,
    progress: bool | Callable = False,
    record: Mapping[str, Sequence[int]] | None = None,
    record_dt=None,
    figures: bool = False,
    data: Any = None,
    params: Mapping | None = None,
    **kwargs,
) -> Result:
    """Run DIRECT once and return its :class:`~spiking_direct.results.Result`.

    Parameters
    ----------
    {keywords}
    out : path, optional
        Run folder for ``result.json``, ``recording.npz`` and figures; default: a new
        temporary folder (``result.folder`` says which).
    record : mapping, optional
        State variables of excitatory cells to record, e.g. ``{"v": range(5)}`` (global
        cell indices; area ``a`` holds cells ``a*n`` to ``(a+1)*n - 1``); returned as
        ``result.state`` (mV, ms).
    record_dt : Brian2 time, optional
        The sampling step of ``record`` (default: the integration step).
    figures : bool
        Write every figure PNG now (``result.figure(name)`` makes one on demand).
    data : path or pandas.DataFrame, optional
        The data table coupling draws value pairs from (default: sampled from the model).
    """
    cfg, obj = _config(
        model, engine=engine, backend=backend, seed=seed, learning=learning, data=None, params=params, kwargs=kwargs
    )
    monitors = _record(record, cfg, record_dt)
    obj = obj if obj is not None else get_model(cfg.model)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"spiking_direct_{obj.name}_"))
    if data is not None:
        cfg = replace(cfg, data=_data_file(data, out))
    from . import pipeline

    return pipeline.run(cfg, out=out, progress=_progress(progress), figures=figures, model=obj, monitors=monitors)


def discover(
    model="alzheimer",
    data=None,
    *,
    T: int = 1000,
    autocorrelation: float = 0.0,
    engine: str = "rate",
    rule: str = "predictive",
    seed: int = 0,
    out=None,
    progress=False,
    figures: bool = True,
    **kwargs,
):
    """Learn who drives whom from a time series with assemblies (every ordered pair of areas plastic
    alike; no link, lead or gain given): :func:`spiking_direct.discovery.run.discover`.

    .. code-block:: python

        res = sd.discover("asia", T=2000, seed=1, out="runs/asia_discover")
        res.scores      # every ordered pair's score (a DataFrame)
        res.graph       # the links above the time-shuffled null
        res.metrics     # AUROC ... against the model's lag-1 links

    ``data``: a CSV (a time column and one column per variable) or DataFrame to learn from;
    ``model`` then declares its variables and values and gives the truth (``model=None``: data
    alone, no metrics)."""
    from .discovery.run import discover as _discover

    return _discover(
        model,
        data,
        T=T,
        autocorrelation=autocorrelation,
        engine=engine,
        rule=rule,
        seed=seed,
        out=out,
        progress=_progress(progress),
        figures=figures,
        **kwargs,
    )


def _data_file(data, out: Path) -> str:
    """A data table as a CSV path: a DataFrame is written to ``out/data.csv`` (kept with the result)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        from .results import write_csv

        path = out / "data.csv"
        write_csv(path, data.astype(str))
        return str(path)
    if isinstance(data, (str, Path)):
        return str(data)
    raise ConfigError(f"data must be a CSV path or a pandas DataFrame, got {type(data).__name__}")


@_shared_keywords
def compare(
    model: Any = "alzheimer",
    *,
    seeds: Sequence[int] = (0, 1, 2),
    backend: str = BACKEND,
    learning: str = LEARNING,
    out: str | Path | None = None,
    progress: bool | Callable = False,
    figures: bool = False,
    params: Mapping | None = None,
    **kwargs,
) -> dict:
    """Run the rate and the spiking engine on the same model and seeds; the comparison
    (also written to ``out/comparison.json``).

    Parameters
    ----------
    {keywords}
    seeds : sequence of int
        The seeds, each run on both engines.
    out : path, optional
        Folder of the comparison and its runs; default: a new temporary folder.
    figures : bool
        Write the figures of every run and of the comparison.
    """
    from .comparison import compare as _compare

    cfg, obj = _config(
        model, engine="spiking", backend=backend, seed=SEED, learning=learning, data=None, params=params, kwargs=kwargs
    )
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ConfigError("compare needs at least one seed")
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"spiking_direct_compare_{cfg.model}_"))
    return _compare(cfg, seeds, out, progress=_progress(progress), figures=figures, model=obj)


@_shared_keywords
def build(
    model: Any = "alzheimer",
    out: str | Path = None,
    *,
    backend: str = BACKEND,
    seed: int = SEED,
    learning: str = LEARNING,
    compile: bool = False,
    progress: bool | Callable = False,
    params: Mapping | None = None,
    **kwargs,
) -> Path:
    """Export a self-contained standalone build folder (``make && ./main`` runs it anywhere);
    :func:`collect` turns the finished folder into a Result.

    Parameters
    ----------
    {keywords}
    out : path
        A new folder to write the build into.
    compile : bool
        Also compile it here.
    """
    from .export import export_build

    if out is None:
        raise ConfigError("build needs out=, a new folder to write the build into")
    cfg, obj = _config(
        model, engine="spiking", backend=backend, seed=seed, learning=learning, data=None, params=params, kwargs=kwargs
    )
    return export_build(cfg, out, compile=compile, progress=_progress(progress), model=obj)


def collect(
    folder: str | Path, out: str | Path | None = None, figures: bool = False, progress: bool | Callable = False
) -> Result:
    """The Result of an exported build that has run (``./main``); written to ``out`` (default: the folder)."""
    from .export import collect as _collect

    res = _collect(folder, out=out, figures=figures, progress=_progress(progress))
    res.folder = Path(out if out is not None else folder)
    return res


def run_sweep(
    models: Sequence[str] = ("alzheimer",),
    *,
    engines: Sequence[str] = ("spiking",),
    seeds: Sequence[int] | str = (0,),
    grid: Mapping[str, Sequence] | None = None,
    params: Mapping | None = None,
    backend: str = BACKEND,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | Callable = True,
    figures: bool = False,
):
    """Every combination of ``models`` x ``engines`` x ``grid`` (parameter -> list of values) x
    ``seeds`` on Dask (a local cluster of ``workers`` processes, or the cluster at
    ``scheduler``), resumable: a rerun into the same ``out`` skips the finished runs.
    ``params`` are fixed in every run. Values may be quantities (``{"lead": [2*ms, 5*ms]}``).
    Returns the summary table (one row per run; also ``out/summary.csv``). As for any local
    Dask cluster, a script must call it under ``if __name__ == "__main__":``."""
    from .sweep import Sweep
    from .sweep import run_sweep as _run_sweep

    if out is None:
        raise ConfigError("sweep needs out=, the folder its runs are written to (a rerun resumes there)")
    grid = {k: [_as_text(v) for v in values] for k, values in (grid or {}).items()}
    params = {k: _as_text(v) for k, v in (params or {}).items()}
    plan = Sweep.grid(
        models=models,
        engines=engines,
        seeds=seeds,
        overrides=grid,
        fixed=params,
        backend=backend,
        figures=figures,
    )
    report = _progress(progress)
    return _run_sweep(plan, out, scheduler=scheduler, workers=workers, progress=report, figures=figures)


def _as_text(value):
    """A sweep value as the sweep stores it: quantities as their text (``'5. ms'``), others as they are."""
    from brian2 import Quantity

    return str(value) if isinstance(value, Quantity) else value


def causal_models(details: bool = False):
    """The model names :func:`run` accepts; with ``details``, a DataFrame of each model's
    variables, links, largest number of values and the memory a run at the default settings
    would need on each engine (loads every model: about a minute)."""
    names = available_models()
    if not details:
        return names
    import pandas as pd

    from .memory import estimate, format_bytes

    rows = []
    for n in names:
        m = get_model(n)
        cfg = RunConfig(model=n)
        rows.append(
            {
                "model": n,
                "variables": m.n_variables,
                "links": m.n_links,
                "max_values": max(len(v) for v in m.values.values()),
                "memory, spiking (defaults)": format_bytes(estimate(cfg, m).total),
                "memory, rate (defaults)": format_bytes(estimate(replace(cfg, engine="rate"), m).total),
            }
        )
    return pd.DataFrame(rows)


def params(engine: str | None = None, network: str | None = None):
    """Every run parameter: a DataFrame with columns path, default, unit, doc (``engine``:
    only the protocol's, the top level's and that engine's; ``network``: only those the spiking
    network of that name uses, ``"clocked"`` or ``"cortical"``)."""
    import pandas as pd

    from .config import catalogue
    from .engines.network import NETWORKS

    if network is not None and network not in NETWORKS:
        raise ConfigError(f"unknown network {network!r}{suggest(network, NETWORKS)}; choose from {list(NETWORKS)}")

    if engine is not None and engine not in ("spiking", "rate"):
        raise ConfigError(
            f"unknown engine {engine!r}{suggest(engine, ('spiking', 'rate'))}; choose from ['spiking', 'rate']"
        )
    return pd.DataFrame(
        [
            {"path": p.path, "default": _show(p.default), "unit": p.unit, "doc": p.doc}
            for p in catalogue(engine, network)
        ]
    )


def _show(value) -> str:
    return "None" if value is None else str(value)
