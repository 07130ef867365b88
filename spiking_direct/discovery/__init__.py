"""Causal discovery from time series: who precedes whom, scored over ordered pairs.

:mod:`.baselines` holds the established methods (lagged correlation, pairwise and conditional
Granger, PCMCI, VAR-LiNGAM); :func:`evaluate` scores a method's matrix against a truth, and
:func:`shuffle_time` makes the negative control (time order permuted, every lagged dependence
destroyed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import structure_metrics
from .baselines import METHODS, method_versions, run_method

__all__ = ["METHODS", "run_method", "method_versions", "evaluate", "shuffle_time"]


def evaluate(scores: np.ndarray, truth: np.ndarray) -> dict:
    """AUROC, average precision and Precision@K of ``scores`` over all ordered pairs against the
    boolean ``truth`` (see :func:`spiking_direct.metrics.structure_metrics`)."""
    m = structure_metrics(scores, truth)
    return {
        "auroc": m["auroc"],
        "average_precision": m["average_precision"],
        "precision_at_k": m["precision_at_k"],
        "chance_average_precision": m["chance"]["average_precision"],
    }


def shuffle_time(series: pd.DataFrame, rng: np.random.Generator, time: str = "time") -> pd.DataFrame:
    """The negative control: the rows (time steps) in a random order, the time column kept in
    place, so every variable keeps its values and their co-occurrence within a step, and loses
    its order in time."""
    order = rng.permutation(len(series))
    out = series.drop(columns=[time]).iloc[order].reset_index(drop=True)
    if time in series.columns:
        out.insert(0, time, series[time].to_numpy())
    return out
