"""How much memory a run will need, estimated before anything is built.

:func:`estimate` adds up, from the configuration and the model alone (no
protocol, no data table, no network is made), the bytes of every large
array a run holds, at each moment where the run's memory can peak, and
returns the largest such sum. :func:`check_fits` compares it with
:func:`available_memory` and refuses a run that would not fit, in one line
that names the options. All sizes are in bytes.

What a run holds (the coefficients were measured with
``benchmarks/memory_estimate.py``; ``A`` areas, ``W`` windows, ``M``
inter-area synapses, ``S`` spikes):

protocol
    the protocol's ``W x A`` arrays (stimulus set and strength, activity,
    clock offset, the sending and hearing areas of the fibres, the source each
    area hears in a probe window), the non-zero gains (20 bytes each: window,
    pre, post, value) and the fibres given pair by pair (those of a batched
    probe phase beyond :data:`ALL_PAIRS_LIMIT` among them); plus the data
    table. The largest single allocation is a ``W x A`` float64 array (:attr:`MemoryEstimate.largest_array`).
spiking engine, ``cpp_standalone``
    the Python process turns the protocol into ``TimedArray`` values and keeps
    them while the binary runs. The values of ordered pairs of areas come in
    the dense form (``W x A x A``, for protocols up to
    :data:`~spiking_direct.protocol.DENSE_PAIRS_LIMIT` values) or in the
    pair form (gains per coupled pair up to the last coupling window, fibres as
    ``W x A`` sending and hearing areas, two ``A x A`` lookups, and a batched
    probe phase's fibres per selected pair up to its last window; see
    :mod:`spiking_direct.engines.parts`): one float64 copy of them (the run's
    values, which the TimedArrays and Brian2's run arguments share; the build's
    TimedArrays hold zeros that are never written, so never resident), one of
    the per-area and per-set arrays, and two more of ``area_offset`` (in
    seconds, for the build and the run); the binary holds two more (one of
    those) and the synapses: 12 bytes
    per inter-area synapse (pre, post, weight) plus the two spike queues of
    ``engines/templates/spikequeue.h`` (the pre pathway's holds no synapse
    ids, the post pathway's 4 bytes per synapse, or from :data:`CODED_IDS_MIN`
    synapses on about ``2 + log2(M / in-degree)`` bits, Elias-Fano coded): about
    16 bytes per synapse in all, 14-15 in the largest networks; at its end it writes its results (12
    bytes per synapse) into ``/dev/shm`` where they fit beside the run's own
    memory, else into the build folder on disk (see
    ``engines.backends._results_in_memory``), while it still holds all of
    that. That moment is the run's peak: Python + binary + results, about
    28 bytes per synapse with the results in memory (the Python process
    holds no synapse until it maps the results, after the binary has exited).
rate engine
    the inter-area synapses as CSR (int32 column, float32 weight; the
    Recording holds the network's own arrays, its row pointers instead of a
    presynaptic cell per synapse, and its initial weights as a view): 8 bytes
    per synapse at the peak, plus the block pointers (8 bytes per cell and connected
    area, and per cell), plus what the allocator keeps of the
    temporaries of the largest area's draw (:data:`HEAP_SLACK`).
analysis
    the readout gathers the synapses that leave assembly cells
    (:data:`READOUT_MEMBER_SYNAPSE` bytes each, at most
    :data:`~spiking_direct.readout.SYNAPSE_CHUNK` at a time) to sum the weights between
    assemblies; its spike index and the per-pair result records (about 4 kB
    per ordered pair read out, see :data:`ALL_PAIRS_LIMIT`, while
    ``result.json`` is written).

The numbers hold for Brian2 2.8 and NumPy 2 on 64-bit Linux; the
``cuda_standalone`` backend is estimated as ``cpp_standalone`` (its
synapses live on the GPU, so this over-states the host's need) and the
``runtime`` backend as a Python process holding the binary's arrays; neither
was calibrated.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import errors, settings
from .causal import CausalModel
from .encoding import Encoding
from .protocol import DENSE_PAIRS_LIMIT, _plan, selected_pairs
from .readout import SYNAPSE_CHUNK

__all__ = [
    "MemoryEstimate",
    "MemoryLimitError",
    "allocation_limit",
    "available_memory",
    "check_fits",
    "estimate",
    "format_bytes",
]

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

# -- constants measured on the reference machine (benchmarks/memory_estimate.py) ---------------
#: the Python process after importing the package (NumPy, SciPy, Brian2, networkx, ...)
BASE_PYTHON = 292 * MiB
#: importing pgmpy and reading a BIF network, for models read from BIF files
BASE_PGMPY = 160 * MiB
#: the standalone binary with no network (code, libraries, clocks)
BASE_BINARY = 11 * MiB
#: per ordered pair of variables: the result's per-pair records, cleaned and written as JSON
PAIR_RESULT = 4300
#: while ``result.json`` is written: per row of the value-level readout (a probed value and a target
#: variable) and per entry of its ``by_value`` lists (a probed value and a target value), the
#: records cleaned for JSON and the text; least squares over pathfinder (k = 15), hailfinder and
#: hepar2 (rate engine, linked, n = 1000: 0.59, 0.13 and 0.085 GB above the analysis)
VALUE_ROW_RESULT, VALUE_ENTRY_RESULT = 1500, 2600
#: models with at most this many ordered pairs of variables have every pair read out; beyond it
#: :func:`spiking_direct.pipeline.probe_selection` picks the pairs whose propagation is read (the
#: true links both ways and as many unlinked pairs), and the probe phase probes several areas per
#: window, only these pairs (:func:`spiking_direct.protocol.probe_batches`)
ALL_PAIRS_LIMIT = 20000
#: per inter-area synapse leaving an assembly cell, while the readout sums the weights between
#: assemblies (``readout.synaptic_strength``, ``SYNAPSE_CHUNK`` synapses at a time): their int64
#: index, pre, post and weight gathered (12 bytes), the selection mask and the pair index
READOUT_MEMBER_SYNAPSE = 27
#: per spike in the Python process: the Recording's arrays and the readout's index and sorts
SPIKE_PYTHON = 48
#: per spike of the rate engine's run: per-round arrays and their concatenation
SPIKE_RATE_RUN = 26
#: per cap (area firing in a round) of the rate engine: three small NumPy arrays
CAP_RATE_RUN = 400
#: per excitatory, inhibitory and input cell in the binary (state variables and their initial values)
CELL_E, CELL_I, CELL_INPUT = 160, 64, 48
#: the rate engine draws its inter-area columns area by area into one buffer; the temporaries of
#: an area's draw (its positions and columns, int64 and int32) are freed before the next one, so
#: what the allocator keeps of them is bounded by the largest area: ``HEAP_SLACK`` times its
#: column bytes
HEAP_SLACK = 2.0

_HUGE_PAGE = 2 * MiB
_PAGE = 4 * KiB


class MemoryLimitError(errors.MemoryLimitError):
    """A run would need more memory than this machine has available (``estimate``: the
    :class:`MemoryEstimate`; ``available``: the bytes the run could use)."""

    def __init__(self, message: str, estimate: MemoryEstimate | None = None, available: int | None = None):
        super().__init__(message)
        self.estimate = estimate
        self.available = available


def format_bytes(n: float) -> str:
    """``n`` bytes as ``'103 GiB'``, ``'4.1 GiB'``, ``'850 MiB'`` (three significant digits at most)."""
    n = float(n)
    for unit, size in (("TiB", 1 << 40), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            v = n / size
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"
    return f"{n:.0f} B"


@dataclass(frozen=True)
class MemoryEstimate:
    """The memory a run is expected to need (bytes).

    Attributes
    ----------
    model, engine : what was estimated
    total : int
        the expected peak of the memory the run holds at one time (bytes):
        for the spiking engine's standalone backends the Python process, the
        simulation binary (a child process) and the results it writes to
        ``/dev/shm`` together, since they are alive at the same time; for
        the rate engine the Python process alone. This is the number that
        must fit in :func:`available_memory`.
    peak : str
        the moment of the peak (a key of ``phases``)
    parts : dict[str, int]
        the components of ``total`` (bytes; they add up to it), e.g.
        ``protocol``, ``schedule copies`` (the spiking engine's TimedArray
        values in Python), ``synapses`` (Python side), ``binary synapses``,
        ``binary schedule``, ``results`` (files in ``/dev/shm``), ``spikes``,
        ``analysis``, ``python base`` (the interpreter and the imported packages)
    phases : dict[str, int]
        the total at every moment considered (bytes)
    largest_array : int
        virtual size of the largest single allocation (bytes): a ``W x A``
        float64 array of the protocol, or the rate engine's block pointers. An allocation larger than
        :func:`allocation_limit` fails at once, whatever is resident.
    n_windows, n_areas, n_synapses, n_spikes : the sizes the estimate rests on
        (``n_synapses``: expected inter-area synapses; ``n_spikes``: the
        expected excitatory spikes, at most ``k`` per firing area and window)
    """

    model: str
    engine: str
    total: int
    peak: str
    parts: dict = field(default_factory=dict)
    phases: dict = field(default_factory=dict)
    largest_array: int = 0
    n_windows: int = 0
    n_areas: int = 0
    n_synapses: int = 0
    n_spikes: int = 0

    def __str__(self) -> str:
        parts = sorted(((v, k) for k, v in self.parts.items() if v >= 0.01 * self.total), reverse=True)
        inner = ", ".join(f"{k} {format_bytes(v)}" for v, k in parts)
        return f"about {format_bytes(self.total)}" + (f" ({inner})" if inner else "")


# --------------------------------------------------------------------------
# Available memory
# --------------------------------------------------------------------------
def _meminfo() -> dict:
    out = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            fields = rest.split()
            if fields:
                out[key] = int(fields[0]) * (KiB if len(fields) > 1 and fields[1] == "kB" else 1)
    return out


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return None if value >= 1 << 60 else value  # v1 writes "no limit" as a huge number


def _stat_value(path: Path, keys: tuple) -> int:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    values = dict(line.split()[:2] for line in lines if len(line.split()) >= 2)
    for key in keys:
        if key in values:
            try:
                return int(values[key])
            except ValueError:
                return 0
    return 0


def _cgroup_room(root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")) -> int | None:
    """Bytes this process's memory cgroups still allow (the tightest level, limit
    minus usage plus the reclaimable inactive file cache), or None without a limit."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        rel = rel.strip().lstrip("/")
        if controllers == "":  # cgroup v2: the unified hierarchy (at the root, or beside v1 in hybrid mode)
            bases = [b for b in (root, root / "unified") if (b / "cgroup.controllers").exists()]
            limit_f, usage_f, stat_keys = "memory.max", "memory.current", ("inactive_file",)
        elif "memory" in controllers.split(","):  # cgroup v1: the memory controller's hierarchy
            bases = [b for b in (root / "memory", root / controllers) if (b / "memory.limit_in_bytes").exists()]
            limit_f, usage_f, stat_keys = (
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                ("total_inactive_file", "inactive_file"),
            )
        else:
            continue
        for base in bases:
            # from the process's own group up to the root of the mount (a namespaced
            # container sees its own group as the root)
            level = base / rel
            if not level.is_dir():
                level = base
            while True:
                limit = _read_int(level / limit_f)
                if limit is not None:
                    usage = _read_int(level / usage_f) or 0
                    reclaimable = _stat_value(level / "memory.stat", stat_keys)
                    rooms.append(max(0, limit - usage + reclaimable))
                if level == base or base not in level.parents:
                    break
                level = level.parent
            break
    return min(rooms) if rooms else None


def available_memory() -> int:
    """Bytes this process can still use: ``MemAvailable`` of ``/proc/meminfo``,
    lowered by a memory cgroup's limit (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``, at any level of the process's group) when one
    applies (limit - usage + inactive file cache)."""
    info = _meminfo()
    avail = info.get("MemAvailable")
    if avail is None:  # kernels before 3.14
        avail = info.get("MemFree", 0) + info.get("Cached", 0) + info.get("Buffers", 0)
    room = _cgroup_room()
    return int(min(avail, room) if room is not None else avail)


def allocation_limit() -> int | None:
    """The largest single allocation the kernel grants (bytes), or None for no limit:
    ``MemTotal + SwapTotal`` under the default heuristic overcommit (mode 0), none
    under mode 1, ``CommitLimit - Committed_AS`` under mode 2."""
    info = _meminfo()
    try:
        mode = int(Path("/proc/sys/vm/overcommit_memory").read_text())
    except (OSError, ValueError):
        mode = 0
    if mode == 1:
        return None
    if mode == 2:
        return max(0, info.get("CommitLimit", 0) - info.get("Committed_AS", 0))
    return info.get("MemTotal", 0) + info.get("SwapTotal", 0)


def _huge_pages() -> bool:
    """Whether NumPy's large arrays get transparent huge pages (it asks for them by madvise)."""
    try:
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False
    return "[never]" not in text


def _shm_room(need: float, beside: float = 0.0) -> bool:
    """Whether the spiking backend will write ``need`` bytes of results into memory
    (the rule of ``engines.backends._results_in_memory``: room on the scratch file system,
    and memory available for them beside ``beside``, the run's own)."""
    root = settings.scratch
    if root is None:
        return False
    try:
        if not root.is_dir() or not os.access(root, os.W_OK):
            return False
        if shutil.disk_usage(root).free < 2 * need + (256 << 20):
            return False
    except OSError:
        return False
    return available_memory() >= beside + 2 * need + (256 << 20)


# --------------------------------------------------------------------------
# Sizes of the run
# --------------------------------------------------------------------------
def _pow2_capacity(mean: float, sd: float) -> float:
    """Expected capacity of a ``std::vector`` filled by ``push_back`` with ``X``
    elements, ``X ~ Normal(mean, sd)`` (the capacity doubles: ``2**ceil(log2 X)``)."""
    if mean <= 0:
        return 0.0
    if sd <= 0:
        return float(2 ** math.ceil(math.log2(max(mean, 1.0))))

    def cdf(x):
        return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))

    lo = max(0, math.floor(math.log2(max(mean - 6 * sd, 1.0))))
    hi = math.ceil(math.log2(mean + 6 * sd + 1.0)) + 1
    total = 0.0
    for j in range(lo, hi + 1):
        total += 2.0**j * (cdf(2.0**j) - cdf(2.0 ** (j - 1) if j > lo else -math.inf))
    return total


#: a pathway of at least this many synapses holds its ids Elias-Fano coded (smaller ones 4 bytes an
#: id); ``SPIKING_DIRECT_CODED_IDS_MIN`` of ``engines/templates/spikequeue.h``
CODED_IDS_MIN = 1 << 25


def _queue_bytes(sources: np.ndarray, trials: np.ndarray, p: float, in_order: bool = True) -> float:
    """Bytes of a spike queue of a cpp_standalone build (``engines/templates/spikequeue.h``): the
    first synapse of every source cell (int64), and unless the synapses are stored in the order of
    their sources (a pre pathway) every synapse's id: 4 bytes, or in a pathway of at least
    :data:`CODED_IDS_MIN` synapses Elias-Fano coded, ``m (L + 1) + (U >> L) + 1`` bits for a cell's
    ``m`` ids spanning ``U`` with ``L = floor(log2(U / m))`` (``U`` taken as the whole pathway: an
    upper bound) and 13 bytes of the code's bounds a cell; ``sources[i]`` cells with
    Binomial(``trials[i]``, ``p``) synapses each."""
    sources, trials = np.asarray(sources, float), np.asarray(trials, float)
    cells = float(sources.sum())
    total = 8.0 * (cells + 1)
    if in_order:
        return total
    span = float((sources * trials).sum()) * p  # the pathway's synapses
    if span < CODED_IDS_MIN:
        return total + 4.0 * span
    for c, t in zip(sources, trials):
        m = t * p
        if c <= 0 or m <= 0:
            continue
        low = math.floor(math.log2(max(span / m, 1.0)))
        total += c * ((m * (low + 1) + span / 2.0**low + 1) / 8.0 + 13.0)
    return total


@dataclass(frozen=True)
class _Sizes:
    """What the estimate rests on, computed once per (config, model)."""

    A: int
    W: int
    counts: dict
    n_links: int
    partners: np.ndarray  # partner areas of each area under 'linked' connectivity
    n_sets: int
    sets_per_area: np.ndarray
    card: np.ndarray
    table_rows: int
    bif: bool
    probe_targets: np.ndarray | None = None  # per area, its listeners in a batched probe phase (None: every area)
    value_rows: int = 0  # rows of the value-level readout (0 where it does not apply)
    value_entries: int = 0  # entries of their by_value lists
    probe_fibres: int = 0  # fibres given pair by pair in a batched probe phase: (window, source, listener)


def _sizes(config, model: CausalModel) -> _Sizes:
    encoding = Encoding.for_model(model, config.encoding, config.separation)
    A = model.n_variables
    probe = selected_pairs(model, int(config.seed)) if A * (A - 1) > ALL_PAIRS_LIMIT else None
    plan = _plan(model, encoding, config.protocol, np.random.default_rng(int(config.seed)), probe)
    sets_per_area = np.array([len(s) for s in plan.sets_of])
    targets = None if probe is None else probe.sum(axis=1)
    pairs = np.zeros((A, A), dtype=bool)
    for u, v in plan.links:
        pairs[u, v] = pairs[v, u] = True
    rows = int(config.protocol.data_rows)
    if getattr(config, "data", None):
        try:  # a CSV table: one row per line after the header
            with open(config.data, "rb") as fh:
                rows = max(1, sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1)
        except OSError:
            pass
    # the value-level readout (spiking_direct.value_readout): every ordered pair read out, per value
    # assemblies (index encoding) and a data table (the model's tables or the user's data)
    card = np.asarray(plan.card, dtype=float)
    has_table = bool(getattr(config, "data", None)) or bool(getattr(model, "has_cpds", False))
    value_rows = value_entries = 0
    if probe is None and has_table and np.array_equal(sets_per_area, card) and plan.counts["probe"] > 0:
        value_rows = int(card.sum() * (A - 1))
        value_entries = int(card.sum() ** 2 - (card**2).sum())
    return _Sizes(
        A=A,
        W=plan.n_windows,
        counts=dict(plan.counts),
        n_links=len(plan.links),
        partners=pairs.sum(axis=1),
        n_sets=encoding.n_sets,
        sets_per_area=sets_per_area,
        card=np.asarray(plan.card),
        table_rows=rows,
        bif=getattr(model, "bayesian_network", None) is not None,
        probe_targets=targets,
        probe_fibres=0 if targets is None else int(config.protocol.probe_reps * np.sum(sets_per_area * targets)),
        value_rows=value_rows,
        value_entries=value_entries,
    )


def _region(windows: int, slice_bytes: float, touches: float, page: int) -> float:
    """Resident bytes of a run of ``windows`` consecutive windows of a zero-initialised
    array, ``slice_bytes`` per window, ``touches`` scattered writes per window."""
    if windows <= 0 or touches <= 0:
        return 0.0
    if page >= slice_bytes:  # a page spans whole windows: the run is resident
        return windows * slice_bytes
    per_window = slice_bytes / page
    pages = per_window * (1.0 - math.exp(-touches / per_window))  # distinct pages hit
    return windows * max(1.0, pages) * page


def _protocol_bytes(s: _Sizes, params) -> tuple[float, int]:
    """(resident bytes, largest allocation) of the protocol's arrays and data table."""
    A, W, c = s.A, s.W, s.counts
    # stim_set, stim_strength, active, offset, the fibres' sending and hearing areas, probe_of + the (W,) arrays
    per_window = A * (4 + 8 + 1 + 8 + 1 + 1 + 4) + 17
    # gain: both directions of every coupled link in its coupling windows, 20 bytes per entry (and the
    # Python lists they are gathered in, about 100 bytes per entry while the protocol is written); the
    # coupled fibres pair by pair where they transmit
    entries = 2.0 * s.n_links * params.couple_steps * (1.5 if params.couple_transmit else 1.0)
    gain = entries * (20 + 100) + s.probe_fibres * (20 + 100)  # and the fibres of a batched probe phase
    table = s.table_rows * A * 8.0
    coupled = c["couple"] * 64 + s.n_links * params.couple_steps * 64  # Python lists of (u, v) tuples
    return W * per_window + gain + table + coupled, W * A * 8


def _caps(s: _Sizes, params, linked: bool, extra_rounds: int = 0) -> float:
    """Expected number of caps, i.e. of (window, round, area) in which an area fires:
    each stimulated area in the identify windows, both areas of every link in the
    coupling windows (``extra_rounds`` repeat them), the probed area and every
    area its fibres reach in the probe windows (a batched probe phase: its listeners),
    every area in the intervene windows."""
    targets = s.partners if linked else np.full(s.A, s.A - 1)
    if s.probe_targets is not None:  # linked: the sampled unlinked listeners have no synapse
        targets = np.minimum(targets, s.probe_targets)
    identify = params.identify_reps * s.n_sets
    couple = 2.0 * params.couple_steps * s.n_links * (1 + extra_rounds)
    probe = params.probe_reps * float(np.sum(s.sets_per_area * (1 + targets)))
    intervene = s.counts["intervene"] * s.A
    return float(identify + couple + probe + intervene)


# --------------------------------------------------------------------------
# The estimate
# --------------------------------------------------------------------------
#: excitatory spikes per winner and window of the cortical network (its winners fire at gamma
#: frequency while their input lasts: 2-3 spikes per winner in ``experiments/cortical.py``)
SPIKES_PER_WINNER_CORTICAL = 2.5
#: bytes per cell of the cortical network's groups (state variables, float64)
CELL_E_CORTICAL, CELL_I_CORTICAL = 2 * CELL_E, 2 * CELL_E


def _cortical_local(p, A: int, n_sets: int, caps: float) -> tuple[float, float, float, float]:
    """The cortical network's local synapse arrays, those with their spike queues, its cells, and its
    spikes: input -> E (pre, post: int32; w, w_on: float64), recurrent E -> E (pre, post; w and the
    two event-driven traces with their last update time), input -> I (when w_in_i > 0), E -> I, I -> E and
    I -> I (pre, post)."""
    cp, n, k = p.cortical, int(p.n), p.k_eff
    n_i, n_in = cp.n_inh(n), int(p.inp.n_per_set)
    p_in_i = cp.p_in_i if float(np.asarray(cp.w_in_i)) > 0 else 0.0  # no synapses without feedforward inhibition
    counts = {  # synapses, bytes per synapse, source cells, their trials, p (pre pathways: in order)
        "in": (n_sets * n_in * n * cp.p_in, 24.0, [n_sets * n_in], [n], cp.p_in),
        "in_i": (n_sets * n_in * n_i * p_in_i, 8.0, [n_sets * n_in], [n_i], p_in_i),
        "rec": (A * n * n * cp.p_ee, 40.0, [A * n], [n], cp.p_ee),
        "ei": (A * n * n_i * cp.p_ei, 8.0, [A * n], [n_i], cp.p_ei),
        "ie": (A * n_i * n * cp.p_ie, 8.0, [A * n_i], [n], cp.p_ie),
        "ii": (A * n_i * n_i * cp.p_ii, 8.0, [A * n_i], [n_i], cp.p_ii),
    }
    arrays = sum(m * b for m, b, *_ in counts.values())
    queues = sum(_queue_bytes(src, tgt, q) for _, _, src, tgt, q in counts.values())
    # the plastic input and recurrent synapses also have a post pathway (coded ids, see _queue_bytes)
    if counts["in"][0] > 0:
        queues += _queue_bytes([A * n], [counts["in"][0] / (A * n * cp.p_in)], cp.p_in, in_order=False)
    queues += _queue_bytes([A * n], [n], cp.p_ee, in_order=False)
    cells = A * n * CELL_E_CORTICAL + A * n_i * CELL_I_CORTICAL + n_sets * n_in * CELL_INPUT + A * 8.0
    return arrays, arrays + queues, cells, caps * k * SPIKES_PER_WINNER_CORTICAL


def _member_share(s: _Sizes, partners: np.ndarray, n: int, k: int) -> float:
    """The expected share of the inter-area synapses that leave an assembly cell: per area, at most
    ``sets x k`` of its ``n`` cells are in an assembly, weighted by the area's outgoing synapses."""
    weights = np.asarray(partners, dtype=float)
    if weights.sum() <= 0:
        return 0.0
    share = np.minimum(1.0, s.sets_per_area * k / max(n, 1))
    return float((weights * share).sum() / weights.sum())


def _readout_bytes(s: _Sizes, partners: np.ndarray, n: int, k: int, M: float) -> float:
    """The readout's gathered synapses (:func:`spiking_direct.readout.synaptic_strength`): those
    leaving assembly cells, :data:`~spiking_direct.readout.SYNAPSE_CHUNK` at a time."""
    return READOUT_MEMBER_SYNAPSE * min(_member_share(s, partners, n, k) * M, float(SYNAPSE_CHUNK))


def _estimate(config, model: CausalModel, s: _Sizes) -> MemoryEstimate:
    engine = config.engine
    A, W = s.A, s.W
    proto, largest = _protocol_bytes(s, config.protocol)
    base = BASE_PYTHON + (BASE_PGMPY if s.bif else 0)
    read = A * max(A - 1, 0)
    if read > ALL_PAIRS_LIMIT:  # the selected pairs: the links both ways and as many unlinked pairs
        read = min(read, 4 * s.n_links)
    pairs = read * PAIR_RESULT + W * A * 16  # per-pair records; the spike index's bounds
    if engine == "rate":
        p = config.rate
        n, k, linked = int(p.n), p.k_eff, p.connectivity == "linked"
        partners = s.partners if linked else np.full(A, A - 1)
        M = float(n * n * p.p_inter * partners.sum())
        per_area = n * n * p.p_inter * partners  # synapses of each area's rows
        heap = HEAP_SLACK * 4.0 * float(per_area.max(initial=0.0))
        block = n * float((partners + 1).sum()) * 8.0 + (A * n + 1) * 8.0 + A * A * 4.0
        inputs = s.n_sets * (8.0 * p.n_in_eff * n * p.p_in + 8.0 * n + 8.0 * (p.n_in_eff + 1) + 1024)
        rec = 0.0
        if p.p_rec > 0:
            rec = A * 8.0 * n * n * p.p_rec
        caps = _caps(s, config.protocol, linked, int(p.extra_rounds))
        S = caps * k
        run = {
            "python base": base,
            "protocol": proto,
            "synapses": 8.0 * M + rec + inputs,
            "block pointer": block,
            "allocator slack": heap,
            "spikes": SPIKE_RATE_RUN * S + CAP_RATE_RUN * caps,
        }
        analysis = {
            "python base": base,
            "protocol": proto,
            "synapses": 8.0 * M + inputs,
            "allocator slack": heap,
            "spikes": SPIKE_PYTHON * S,
            "analysis": pairs + _readout_bytes(s, partners, n, k, M),
        }
        phases = {"end of the rate engine's run": run, "analysis": analysis}
        largest = max(largest, int(block))
    else:
        p = config.spiking
        n, k, linked = int(p.n), p.k_eff, p.connectivity == "linked"
        n_i = p.n_inh  # the selected network's interneurons per area
        pi = float(p.stdp.p_inter)
        partners = s.partners if linked else np.full(A, A - 1)
        M = float(n * n * pi * partners.sum())
        caps = _caps(s, config.protocol, linked)
        S = caps * k
        small = W * (3 * A + s.n_sets) * 8.0  # stim_strength, area_active, area_offset, area_learns
        if W * A * A > DENSE_PAIRS_LIMIT:  # the pair form: gains of the coupled pairs, fibres per area
            gain_rows = c_rows = s.counts["identify"] + s.counts["couple"] + 1
            coupled_pairs = 2 * s.n_links + 1
            dense = c_rows * coupled_pairs * 8.0 + 2 * A * A * 8.0 + 2 * W * A * 8.0
            if s.probe_targets is not None:  # a batched probe phase: its fibres per pair, up to its last window
                probe_rows = s.counts["identify"] + s.counts["couple"] + s.counts["probe"] + 1
                dense += probe_rows * (int(s.probe_targets.sum()) + 1) * 8.0
            if config.protocol.couple_transmit:
                dense += gain_rows * (s.n_links + 1) * 8.0
        else:
            dense = W * A * A * 8.0
        largest = max(largest, int(dense if W * A * A <= DENSE_PAIRS_LIMIT else W * s.n_sets * 8))
        # inter-area synapses: pre, post (int32), w (float32); the pre pathway's queue holds no ids
        # (the synapses are stored by presynaptic cell), the post pathway's 4 bytes each or fewer (_queue_bytes)
        queues = _queue_bytes(np.full(A, n), partners * n, pi) + _queue_bytes(
            np.full(A, n), partners * n, pi, in_order=False
        )
        inter = 12.0 * M + queues
        n_in = int(p.inp.n_per_set)
        if p.network == "cortical":
            local_arrays, local, cells, S = _cortical_local(p, A, s.n_sets, caps)
        else:
            pe, pie, pin = float(p.static.p_ei), float(p.static.p_ie), float(p.inp.p_in)
            # E -> I and I -> E (pre, post: int32), input -> E (and its float64 weight), and their spike queues
            local_arrays = A * n * n_i * pe * 8.0 + A * n_i * n * pie * 8.0 + s.n_sets * n_in * n * pin * 16.0
            local = (
                local_arrays
                + _queue_bytes([A * n], [n_i], pe)
                + _queue_bytes([A * n_i], [n], pie)
                + _queue_bytes([s.n_sets * n_in], [n], pin)
            )
            cells = A * n * CELL_E + A * n_i * CELL_I + s.n_sets * n_in * CELL_INPUT + A * A * 8.0
        monitor = 12.0 * _pow2_capacity(S, 0.0) + A * n * 4.0
        results = 12.0 * M + 12.0 * S + local_arrays  # every synapse and spike array, written at the end
        # one copy of the run's schedule values (the dense form: gain and fibre, W x A x A each; the
        # pair form: its arrays) and of the per-area and per-set arrays
        held = (2 * dense if W * A * A <= DENSE_PAIRS_LIMIT else dense) + small
        if config.backend == "runtime":  # Brian2's runtime device: the network lives in Python
            run = {
                "python base": base,
                "protocol": proto,
                "schedule copies": held + W * A * 8.0,
                "synapses": inter + 12.0 * M + local,
                "spikes": SPIKE_PYTHON * S + monitor,
                "analysis": pairs,
            }
            phases = {"read-back": run}
        else:
            # the run's values, shared by the TimedArrays and the run arguments, and area_offset in
            # seconds twice more (build and run); the build's zeros are never written
            copies = held + 2 * W * A * 8.0
            python = {"python base": base, "protocol": proto, "schedule copies": copies}
            binary = {
                "binary base": BASE_BINARY,
                "binary synapses": inter,
                "binary network": local + cells,
                "binary schedule": 2 * dense + small,
                "binary spikes": monitor,
            }
            # the results go to /dev/shm only where they fit beside the run (engines.backends._results_in_memory)
            in_memory = _shm_room(results, sum(python.values()) + sum(binary.values()))
            during = {**python, **binary, "results": results if in_memory else 0.0}
            readback = {**python, "synapses": 12.0 * M, "spikes": 12.0 * S + SPIKE_PYTHON * S}
            analysis = {
                "python base": base,
                "protocol": proto,
                "schedule copies": W * A * 8.0,  # the build's area_offset in seconds
                "synapses": 12.0 * M,
                "spikes": SPIKE_PYTHON * S,
                "analysis": pairs + _readout_bytes(s, partners, n, k, M),
            }
            phases = {"while the binary runs": during, "read-back": readback, "analysis": analysis}
    if s.value_rows:  # writing result.json: the value-level readout's records, cleaned, and the text
        last = phases.get("analysis", phases.get("read-back"))
        phases["writing result.json"] = {
            **last,
            "result files": VALUE_ROW_RESULT * s.value_rows + VALUE_ENTRY_RESULT * s.value_entries,
        }
    phases = {name: {k: round(v) for k, v in parts.items() if v > 0} for name, parts in phases.items()}
    totals = {name: sum(parts.values()) for name, parts in phases.items()}
    peak = max(totals, key=totals.get)
    parts = phases[peak]
    return MemoryEstimate(
        model=model.name,
        engine=engine,
        total=totals[peak],
        peak=peak,
        parts=parts,
        phases=totals,
        largest_array=int(largest),
        n_windows=W,
        n_areas=A,
        n_synapses=round(M),
        n_spikes=round(S),
    )


def estimate(config, model: CausalModel) -> MemoryEstimate:
    """The memory ``config`` will need on ``model``, before anything is built.

    Parameters
    ----------
    config : spiking_direct.config.RunConfig
        the run (engine, backend, engine parameters, protocol, encoding)
    model : spiking_direct.causal.CausalModel
        the causal model (only its variables, values and links are read)

    Returns
    -------
    MemoryEstimate
        ``total``: the expected peak (bytes) of what the run holds at one
        time, Python process and simulation binary together; ``parts`` its
        components, ``peak`` the moment (see the module docstring).

    Only the protocol's window counts are computed (the coupling groups
    need the links' edge colouring: a fraction of a second for Munin);
    nothing is allocated in proportion to the run.
    """
    return _estimate(config, model, _sizes(config, model))


# --------------------------------------------------------------------------
# The size guard
# --------------------------------------------------------------------------
def _set_n(config, n: int):
    if config.engine == "rate":
        return replace(config, rate=replace(config.rate, n=int(n)))
    return replace(config, spiking=replace(config.spiking, n=int(n)))


def _largest_fitting_n(config, model, s: _Sizes, room: int, limit: int | None) -> int | None:
    """The largest ``n`` (two significant digits) below the config's whose estimate fits ``room``."""
    n0 = int(config.rate.n if config.engine == "rate" else config.spiking.n)

    def fits(n):
        try:
            e = _estimate(_set_n(config, n), model, s)
        except ValueError:
            return False
        return e.total <= room and (limit is None or e.largest_array <= limit)

    lo, hi = 2, n0 - 1
    if hi < lo or not fits(lo):
        return None
    while lo < hi:  # largest n in [lo, hi] that fits (the estimate grows with n)
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    digits = max(0, len(str(lo)) - 2)
    return max(2, (lo // 10**digits) * 10**digits)


def check_fits(config, model: CausalModel, available: int | None = None) -> MemoryEstimate:
    """Refuse a run that would not fit in memory, before anything is built.

    Parameters
    ----------
    config : spiking_direct.config.RunConfig
    model : spiking_direct.causal.CausalModel
    available : int, optional
        bytes the run may use (default: :func:`available_memory`)

    Returns
    -------
    MemoryEstimate
        the estimate, when the run fits

    Raises
    ------
    MemoryLimitError
        with one line: the model, the estimate, the available memory and the
        options (``spiking.connectivity=linked``, a smaller ``n`` that would
        fit, the rate engine), each with its own estimate; also when the
        protocol's largest array exceeds what the kernel lets one allocation
        commit (:func:`allocation_limit`), which fails however little of it
        is used.
    """
    s = _sizes(config, model)
    est = _estimate(config, model, s)
    room = int(available_memory() if available is None else available)
    limit = allocation_limit()
    too_big = limit is not None and est.largest_array > limit
    if est.total <= room and not too_big:
        return est

    def fits(e):
        return e.total <= room and (limit is None or e.largest_array <= limit)

    options = []
    engine_params = config.rate if config.engine == "rate" else config.spiking
    key = f"{config.engine}.connectivity"
    if engine_params.connectivity == "all":
        linked = _estimate(replace(config, **{config.engine: replace(engine_params, connectivity="linked")}), model, s)
        options.append(f"--set {key}=linked ({format_bytes(linked.total)}{'' if fits(linked) else ', still too much'})")
    n_fit = _largest_fitting_n(config, model, s, room, limit)
    if n_fit is not None:
        options.append(f"--set n={n_fit} ({format_bytes(_estimate(_set_n(config, n_fit), model, s).total)})")
    else:
        options.append("no smaller n fits")
    if config.engine == "spiking":
        rate = _estimate(replace(config, engine="rate"), model, s)
        options.append(f"--engine rate ({format_bytes(rate.total)}{'' if fits(rate) else ', still too much'})")
    if (
        too_big
        or "protocol" in est.parts
        and est.parts["protocol"] + est.parts.get("schedule copies", 0) > 0.5 * est.total
    ):
        options.append(
            f"fewer windows or variables (the protocol's largest array, {est.n_windows} windows x "
            f"{est.n_areas} areas or more, is {format_bytes(est.largest_array)})"
        )
    why = (
        f"needs {est} at its peak ({est.peak}), but {format_bytes(room)} is available"
        if est.total > room
        else f"needs one {format_bytes(est.largest_array)} array, more than the "
        f"{format_bytes(limit)} the kernel lets one allocation commit ({est})"
    )
    n = engine_params.n
    msg = (
        f"{model.name} ({model.n_variables} variables, {config.engine} engine, n = {n}, "
        f"{engine_params.connectivity} connectivity) {why}; options: {'; '.join(options)}"
    )
    raise MemoryLimitError(msg, est, room)
