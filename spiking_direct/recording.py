"""What an engine hands back: spikes per window and synaptic weights.

Both engines return a :class:`Recording`; the readout, the metrics, the
result files and the figures are computed from it alone and never know
which engine produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .protocol import Protocol


def distinct_per_window_area(
    spike_window: np.ndarray, spike_neuron: np.ndarray, n_windows: int, n_areas: int, n: int
) -> np.ndarray:
    """(W, A) number of distinct neurons of each area that fired in each window
    (neurons numbered globally, ``area * n + local``)."""
    key = np.unique(np.asarray(spike_window, dtype=np.int64) * (n_areas * n) + spike_neuron)
    out = np.zeros((n_windows, n_areas), dtype=np.int64)
    np.add.at(out, (key // (n_areas * n), (key % (n_areas * n)) // n), 1)
    return out


def index_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The ranges ``lo[i]:hi[i]`` concatenated, without a Python loop."""
    size = np.asarray(hi) - np.asarray(lo)
    return np.repeat(lo - np.concatenate([[0], np.cumsum(size)[:-1]]), size) + np.arange(size.sum())


@dataclass
class Recording:
    """Excitatory activity and inter-area weights of one run.

    Neurons are numbered globally, ``area * n + local``.

    Attributes
    ----------
    protocol : the protocol that was run
    n : excitatory neurons per area
    k : the target cap (assembly size)
    spike_window, spike_neuron : (S,) int, window and global neuron of each spike
    spike_time : (S,) float, time of the spike within its window (s; the rate
        engine gives the round number times 1 ms)
    syn_pre, syn_post : (M,) int, global pre/post neuron of every inter-area synapse
    syn_pre_ptr : (A * n + 1,) int or None, for synapses stored by presynaptic cell: those of
        cell ``c`` are ``syn_pre_ptr[c]:syn_pre_ptr[c + 1]``. An engine that gives it may give
        ``syn_pre=None``: ``syn_pre`` is then made from it when first read (4 bytes per synapse
        that the readout never needs)
    w_initial, w_final : (M,) float, weights before and after the run
    weight_unit : unit of the weights ("mV" for spiking, "1" for rate)
    timing : seconds spent, e.g. build_s, simulate_s
    info : engine-specific facts worth recording (sizes, backend, memory)
    """

    protocol: Protocol
    n: int
    k: int
    spike_window: np.ndarray
    spike_neuron: np.ndarray
    spike_time: np.ndarray
    syn_pre: np.ndarray
    syn_post: np.ndarray
    w_initial: np.ndarray
    w_final: np.ndarray
    weight_unit: str = "mV"
    timing: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    state: dict | None = None  # optional monitored state variables (experiments), never written to result.json
    syn_pre_ptr: np.ndarray | None = None

    @property
    def n_areas(self) -> int:
        return self.protocol.n_areas

    def spike_area(self) -> np.ndarray:
        """(spikes,) int: the area of every recorded spike."""
        return self.spike_neuron // self.n

    def _cached(self, name: str, make):
        """A derived array computed once per recording (the spikes never change after the run)."""
        cache = self.__dict__.setdefault("_derived", {})
        if name not in cache:
            cache[name] = make()
        return cache[name]

    def window_area_counts(self) -> np.ndarray:
        """(W, A) number of distinct neurons of each area that fired in each window."""
        return self._cached(
            "window_area_counts",
            lambda: distinct_per_window_area(
                self.spike_window, self.spike_neuron, self.protocol.n_windows, self.n_areas, self.n
            ),
        )

    def spikes_in(self, windows: np.ndarray, area: int) -> np.ndarray:
        """Indices of the spikes of ``area`` in ``windows`` (ascending window, then
        recording order), from an index of the spikes by (window, area) built once:
        a readout asking for every ordered pair of areas then costs its spikes,
        not a pass over the whole recording per pair."""

        def make():
            W, A = self.protocol.n_windows, self.n_areas
            key = self.spike_window.astype(np.int64) * A + self.spike_neuron // self.n
            order = np.argsort(key, kind="stable")
            return order, np.searchsorted(key[order], np.arange(W * A + 1))

        order, bounds = self._cached("spike_index", make)
        slot = np.unique(np.asarray(windows, dtype=np.int64)) * self.n_areas + int(area)
        lo, hi = bounds[slot], bounds[slot + 1]
        if (hi - lo).sum() == 0:
            return np.zeros(0, dtype=np.int64)
        return order[index_ranges(lo, hi)]


def _syn_pre(self) -> np.ndarray:
    pre = self.__dict__.get("_syn_pre")
    ptr = self.__dict__.get("syn_pre_ptr")
    if pre is None and ptr is not None:
        pre = np.repeat(np.arange(ptr.size - 1, dtype=np.int32), np.diff(ptr))
        self.__dict__["_syn_pre"] = pre
    return pre


def _set_syn_pre(self, value) -> None:
    self.__dict__["_syn_pre"] = value


# a property over the dataclass field: the generated __init__ sets it through the setter
Recording.syn_pre = property(_syn_pre, _set_syn_pre, doc="(M,) int32: the presynaptic cell of every synapse")
