"""Which runs share a compiled build (:func:`network_shape`) and how the runs are assigned
to workers, each shape group on one worker (:func:`plan`)."""

from __future__ import annotations

from typing import Mapping

from ..errors import SweepError
from .spec import RunSpec


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

        from ..causal import get_model
        from ..encoding import Encoding
        from ..engines.spiking import shape_key
        from ..pipeline import probe_pairs
        from ..protocol import direct_protocol

        cfg = config if config is not None else spec.config()
        models = models if models is not None else {}
        if spec.model not in models:
            models[spec.model] = get_model(spec.model)
        model = models[spec.model]
        enc = Encoding.for_model(model, cfg.encoding, cfg.separation)
        pairs = probe_pairs(model, int(cfg.seed))  # beyond ALL_PAIRS_LIMIT the probe phase is batched
        proto = direct_protocol(model, enc, cfg.protocol, np.random.default_rng(int(cfg.seed)), probe_pairs=pairs)
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
