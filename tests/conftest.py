"""Shared fixtures: one compiled Alzheimer network for the whole test run.

The cpp_standalone backend compiles once per network shape and re-runs the
binary with new run arguments, so every spiking test below costs one
simulation (~12 s on 2 cores), not one compilation.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from spiking_direct.config import RunConfig, apply_overrides


def have_compiler() -> bool:
    return shutil.which("g++") is not None and shutil.which("make") is not None


@pytest.fixture(scope="package")
def alzheimer_run():
    """``alzheimer_run(seed=0, overrides=())`` -> result dict (cached per arguments)."""
    if not have_compiler():
        pytest.skip("no C++ compiler: cpp_standalone tests skipped")
    from spiking_direct import pipeline

    cache: dict = {}

    def run(seed: int = 0, overrides: tuple = (), fresh: bool = False):
        key = (seed, tuple(overrides))
        if fresh or key not in cache:
            cfg = apply_overrides(
                RunConfig(model="alzheimer", engine="spiking", backend="cpp_standalone"), list(overrides)
            )
            cache[key] = pipeline.run(replace(cfg, seed=seed), figures=False)
        return cache[key]

    return run
