"""One run of a sweep: :class:`RunSpec` (model, engine, backend, seed, ``--set`` overrides),
its stable key and network-shape group, and the canonical text of override values."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import SweepError

RESERVED = ("model", "engine", "backend", "seed")


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
        """A short human-readable name of the run (model, engine, backend, seed, overrides)."""
        parts = [self.model, self.engine] + ([self.backend] if self.backend else []) + [f"seed {self.seed}"]
        return " ".join(parts + self.set_items)

    # -- config ------------------------------------------------------------
    def config(self):
        """The RunConfig of this run (overrides applied, validated)."""
        from ..config import RunConfig, apply_overrides

        cfg = RunConfig(
            model=self.model, engine=self.engine, backend=self.backend or "cpp_standalone", seed=int(self.seed)
        )
        cfg = apply_overrides(cfg, self.set_items)
        cfg.validate()
        return cfg

    def to_dict(self) -> dict:
        """The run's specification as written to the sweep's table."""
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
