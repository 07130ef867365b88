"""Models by name (:func:`get_model`): the built-in ones, ``random:...`` DAGs, structure-only
JSON files (:func:`from_json`), BIF files and shipped networks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import CausalModelError
from .builtin import alzheimer, random_dag
from .model import CausalModel
from .pgmpy_io import from_bif


def from_json(path: str) -> CausalModel:
    """A structure-only model from a JSON file ``{"name", "variables", "values", "links"}``
    (``values`` maps each variable to its value names, positive first; ``links``
    is a list of ``[source, target]``). It has no CPDs: it cannot be sampled, and
    DIRECT couples its value pairs uniformly."""
    import json

    try:
        with open(path) as fh:
            spec = json.load(fh)
    except FileNotFoundError:
        raise CausalModelError(f"no such model file: {path}") from None
    except json.JSONDecodeError as exc:
        raise CausalModelError(f"{path} is not valid JSON: {exc}") from None
    missing = [key for key in ("variables", "values", "links") if key not in spec]
    if missing:
        raise CausalModelError(f"{path}: missing key(s) {missing}")
    return CausalModel(
        name=spec.get("name", Path(path).stem),
        variables=spec["variables"],
        values=spec["values"],
        links=[tuple(link) for link in spec["links"]],
        description=spec.get("description", ""),
    )


def get_model(name: str) -> CausalModel:
    """A model by name.

    ``"alzheimer"`` gives :func:`alzheimer`;
    ``"random:<n>:<degree>:<seed>[:kind]"`` gives :func:`random_dag` with
    ``numpy.random.default_rng(seed)`` (kind ``erdos_renyi`` by default);
    anything else goes to :func:`from_bif` (a path or a shipped network name).
    """
    if name == "alzheimer":
        return alzheimer()
    if name.endswith(".json"):
        return from_json(name)
    if name.startswith("random:"):
        parts = name.split(":")
        if len(parts) not in (4, 5):
            raise CausalModelError(f"bad random model name {name!r}; use 'random:<n>:<degree>:<seed>[:kind]'")
        try:
            n, degree, seed = int(parts[1]), float(parts[2]), int(parts[3])
        except ValueError:
            raise CausalModelError(f"bad random model name {name!r}; use 'random:<n>:<degree>:<seed>[:kind]'") from None
        kind = parts[4] if len(parts) == 5 else "erdos_renyi"
        return random_dag(n, degree, np.random.default_rng(seed), kind=kind, name=name)
    return from_bif(name)
