"""The names of the causal models that come by name: the built-in ``alzheimer`` and the
``.bif.gz`` networks shipped inside the pgmpy wheel."""

from __future__ import annotations

import importlib.resources
import os


def _example_models_dir() -> str:
    """The folder of example networks shipped inside the pgmpy wheel."""
    return str(importlib.resources.files("pgmpy") / "utils" / "example_models")


def shipped_bif_names() -> list[str]:
    """Names of the ``.bif.gz`` networks shipped inside the pgmpy wheel."""
    folder = _example_models_dir()
    if not os.path.isdir(folder):
        return []
    return sorted(f[: -len(".bif.gz")] for f in os.listdir(folder) if f.endswith(".bif.gz"))


def available_models() -> list[str]:
    """Names :func:`~spiking_direct.causal.get_model` accepts (besides ``random:...`` and file paths)."""
    return ["alzheimer"] + shipped_bif_names()
