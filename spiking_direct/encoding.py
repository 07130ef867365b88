"""Encodings: how a variable's value becomes a stimulus of input cells.

``index``
    every value owns its own input set (the index-based active set of the
    DIRECT paper); a value is presented by firing its set at full strength.
``rate``
    every variable owns one input set; its positive value (listed first)
    fires it at full strength and every other value at ``1 / separation``
    of it (the value-to-firing-rate code; the paper's separations are
    15x, 10x and 6.7x).

Input sets are numbered globally, variable by variable, so that one array
of input cells serves the whole network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .causal import CausalModel
from .errors import EncodingError

KINDS = ("index", "rate")


@dataclass(frozen=True)
class Encoding:
    kind: str
    cardinalities: tuple  # number of values of each variable, in model order
    separation: float = 15.0  # rate code only: firing ratio of positive to other values

    def __post_init__(self):
        if self.kind not in KINDS:
            raise EncodingError(f"unknown encoding {self.kind!r}; choose from {list(KINDS)}")
        if self.kind == "rate" and not self.separation > 1.0:
            raise EncodingError(f"rate-code separation must be > 1, got {self.separation}")

    @classmethod
    def for_model(cls, model: CausalModel, kind: str = "index", separation: float = 15.0) -> "Encoding":
        return cls(kind, tuple(model.cardinality(v) for v in model.variables), float(separation))

    def _first_set(self, area: int) -> int:
        if self.kind == "rate":
            return area
        return int(sum(self.cardinalities[:area]))

    def sets_of(self, area: int) -> list[int]:
        """Global ids of the input sets of variable ``area``."""
        first = self._first_set(area)
        return [first] if self.kind == "rate" else list(range(first, first + self.cardinalities[area]))

    @property
    def n_sets(self) -> int:
        return len(self.cardinalities) if self.kind == "rate" else int(sum(self.cardinalities))

    def set_area(self) -> np.ndarray:
        """Area (variable index) of every input set."""
        return np.concatenate([[a] * len(self.sets_of(a)) for a in range(len(self.cardinalities))]).astype(int)

    def stimulus(self, area: int, value: int) -> tuple[int, float]:
        """(input set id, strength) that presents ``value`` of variable ``area``."""
        if not 0 <= value < self.cardinalities[area]:
            raise EncodingError(f"value index {value} out of range for variable {area}")
        if self.kind == "rate":
            return area, 1.0 if value == 0 else 1.0 / self.separation
        return self._first_set(area) + value, 1.0
