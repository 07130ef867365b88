"""The spiking engine: a Protocol run on the Brian2 network of :mod:`.network` through a backend.

:func:`run_spiking` checks the protocol's timing against the network's window clock,
restricts the inter-area synapses to the coupled pairs when asked
(``connectivity="linked"``) and hands the run to the backend chosen by name
(:mod:`.backends`). The network itself (parameters, equations, Brian2 objects,
read-back) lives in :mod:`.network`, which the backends build.
"""

from __future__ import annotations

import numpy as np

from ..protocol import Protocol
from ..recording import Recording
from . import backends
from .network import (  # noqa: F401  (the engine's public names)
    DERIVED_ARRAYS,
    SEED_ENV,
    TIMED_ARRAYS,
    Network,
    SpikingError,
    SpikingParams,
    build_network,
    cap_dt,
    shape_key,
    standalone_reader,
    timed_values,
    to_recording,
    with_derived,
)


def check_timing(protocol: Protocol, params: SpikingParams) -> None:
    """Refuse a protocol whose clock offsets leave an area no time to fire.

    An area's cells fire during its excitability ramp, which ends
    ``t_ramp + T_ramp`` after the area's clock offset; an offset beyond
    ``T_win - t_ramp - T_ramp`` cuts that ramp short (and one beyond ``T_win``
    silences the area for the whole window), so the run would answer less
    than it was asked, silently."""
    from ..protocol import PHASES

    clock = params.clock
    if params.network == "cortical":  # an input cell's drive must end inside its window
        room = float(clock.T_win - clock.t_volley - params.cortical.T_stim)
        bound = "T_win - t_volley - T_stim"
    else:
        room = float(clock.T_win - clock.t_ramp - clock.T_ramp)  # seconds (float() of a Brian2 time)
        bound = "T_win - t_ramp - T_ramp"
    if protocol.offset.size == 0:
        return
    worst = float(protocol.offset.max())
    if worst > room + 1e-12:
        w, a = np.unravel_index(int(np.argmax(protocol.offset)), protocol.offset.shape)
        raise SpikingError(
            f"a clock offset of {worst * 1e3:.1f} ms (window {w}, {PHASES[protocol.phase[w]]} phase, area {a}) leaves "
            f"the area no time to fire: offsets must be <= {bound} = {room * 1e3:.1f} ms; "
            f"lower the protocol's lags (probe_lag, intervene_lag, intervene_span) or lengthen spiking.clock.T_win"
        )


def run_spiking(
    protocol: Protocol,
    n_sets: int,
    set_area: np.ndarray,
    params: SpikingParams,
    seed: int,
    backend: str = "cpp_standalone",
    progress=None,
    **kwargs,
) -> Recording:
    """Run ``protocol`` on the spiking network and return the Recording.

    With ``params.connectivity == "linked"`` only the ordered pairs of areas
    the protocol couples (both directions) get inter-area synapses.

    ``kwargs`` go to the backend's ``run`` (``values=`` to drive the TimedArrays
    directly, ``monitors=`` to record state variables); without ``values`` a Poisson
    stimulus (``params.inp.stimulus``) enters through :func:`stimulus_values`."""
    check_timing(protocol, params)
    be = backends.get(backend)
    if params.connectivity == "linked" and "allowed" not in kwargs:
        kwargs["allowed"] = linked_pairs(protocol)
    if params.inp.stimulus != "volley" and kwargs.get("values") is None:
        kwargs["values"] = stimulus_values(protocol, n_sets, set_area, params, seed)
    return be.run(protocol, n_sets, set_area, params, seed, progress=progress, **kwargs)


def stimulus_values(protocol: Protocol, n_sets: int, set_area: np.ndarray, params: SpikingParams, seed: int) -> dict:
    """The TimedArray values of ``protocol`` (:func:`timed_values`) under the input cells'
    stimulus model: with ``params.inp.stimulus == "poisson"`` also ``stim_count`` (window x
    input cell), the spike count of every cell of the set presented in each window
    (:func:`spiking_direct.stimulus.poisson_counts`, the counts the rate engine draws for
    the same seed); 0 for the cells of sets not presented."""
    values = timed_values(protocol, n_sets, set_area)
    if params.inp.stimulus != "poisson":
        return values
    from ..stimulus import poisson_counts

    n_in = int(params.inp.n_per_set)
    counts = poisson_counts(protocol, n_in, params.inp.poisson_rate, seed)  # (W, A, n_in)
    stim_count = np.zeros((protocol.n_windows, n_sets, n_in), dtype=float)
    rows, cols = np.nonzero(protocol.stim_set >= 0)
    stim_count[rows, protocol.stim_set[rows, cols]] = counts[rows, cols]
    values["stim_count"] = stim_count.reshape(protocol.n_windows, n_sets * n_in)
    return values


def linked_pairs(protocol: Protocol) -> np.ndarray:
    """(A, A) bool: the ordered pairs coupled by the protocol, in both directions."""
    A = protocol.n_areas
    allowed = np.zeros((A, A), dtype=bool)
    for u, v in protocol.coupled_links:
        allowed[u, v] = allowed[v, u] = True
    return allowed


class SpikingEngine:
    """The spiking engine (:class:`~spiking_direct.engines.Engine`): the Brian2 network on a backend."""

    name = "spiking"
    uses_backend = True

    def validate(self, config) -> None:
        """Check the spiking parameters across fields (:meth:`SpikingParams.validate`)."""
        config.spiking.validate()

    def check(self, config) -> None:
        """Check that the selected backend can run here (compiler, brian2cuda), before any code generation."""
        backends.get(config.backend).check()

    def params_dict(self, config) -> dict:
        """The spiking network's parameters as JSON values (only the selected network's)."""
        return config.spiking.to_dict()

    def monitors(self, config, record: dict, dt_ms: float) -> dict:
        """``record`` ({variable: cell indices}) as a state-monitor description for the network,
        after checking the variables against the excitatory cells' equations."""
        from ..errors import ConfigError, suggest
        from ..models import excitatory_model
        from ..models.synapses import stdp_traces

        params = config.spiking
        if params.network == "cortical":
            from .cortical import recordable

            known = recordable(params)
        else:
            known = set(excitatory_model(params.exc.noise, neuron=params.neuron)[0].names) | set(
                stdp_traces(params.stdp)[0].names
            )
        cells = None
        for var, idx in record.items():
            if var not in known:
                raise ConfigError(
                    f"cannot record {var!r}{suggest(var, known)}; the excitatory cells have {sorted(known)}"
                )
            idx = [int(i) for i in idx]
            if cells is not None and idx != cells:
                raise ConfigError("record= takes the same cells for every variable")
            cells = idx
        return {"vars": tuple(record), "cells": cells, "dt_ms": dt_ms}

    def run(self, protocol, encoding, config, progress=None, monitors=None) -> Recording:
        """Run ``protocol`` on the spiking network (:func:`run_spiking`) and return the Recording."""
        kwargs = {"monitors": monitors} if monitors else {}
        return run_spiking(
            protocol,
            encoding.n_sets,
            encoding.set_area(),
            config.spiking,
            int(config.seed),
            backend=config.backend,
            progress=progress,
            **kwargs,
        )


ENGINE = SpikingEngine()
