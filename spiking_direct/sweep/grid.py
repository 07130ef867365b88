"""A sweep's runs: :class:`Sweep` (a list of :class:`~.spec.RunSpec` and sweep-wide options),
made in Python (:meth:`Sweep.grid`) or read from TOML (:meth:`Sweep.from_toml`), checked run by run
(:meth:`Sweep.validate`); seeds as given in a sweep (:func:`parse_seeds`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import CLIError, SweepError
from ..seeds import parse_seeds as parse_text
from .spec import RESERVED, RunSpec

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
        from ..causal import get_model
        from ..encoding import Encoding

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
        """The sweep as written to its ``sweep.json`` (name, figures, grid and runs)."""
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
