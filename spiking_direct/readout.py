"""The dual readout of DIRECT, for every ordered pair of variables.

All functions take a :class:`~spiking_direct.recording.Recording` and are
engine-independent.

Tie rule (used for assemblies and for probe responders alike): neurons are
ranked by spike count (more first), then by mean first-spike time within the
window (earlier first: an earlier spike means more input under the window
clock), then by neuron index (lower first, the only arbitrary step). Neurons
that never fired are never selected, so an area that stays silent has fewer
than ``k`` responders and a correspondingly low overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .recording import Recording, index_ranges


def rank_neurons(counts: np.ndarray, first_time: np.ndarray, k: int) -> np.ndarray:
    """Local indices of the top-``k`` neurons by the module's tie rule (count > 0 only)."""
    idx = np.flatnonzero(counts > 0)
    if idx.size == 0:
        return idx
    order = np.lexsort((idx, first_time[idx], -counts[idx]))
    return np.sort(idx[order[:k]])


def _counts(rec: Recording, windows: np.ndarray, area: int) -> tuple[np.ndarray, np.ndarray]:
    """Per local neuron of ``area``: number of ``windows`` with a spike, and mean first-spike time."""
    n = rec.n
    sel = rec.spikes_in(windows, area)
    counts = np.zeros(n)
    first = np.full(n, np.inf)
    if not sel.size:
        return counts, first
    win = rec.spike_window[sel].astype(np.int64)
    loc = rec.spike_neuron[sel] - area * n
    t = rec.spike_time[sel]
    # first spike of each neuron in each window
    order = np.lexsort((t, loc, win))
    win, loc, t = win[order], loc[order], t[order]
    first_mask = np.ones(win.size, dtype=bool)
    first_mask[1:] = (win[1:] != win[:-1]) | (loc[1:] != loc[:-1])
    win, loc, t = win[first_mask], loc[first_mask], t[first_mask]
    np.add.at(counts, loc, 1)
    tsum = np.zeros(n)
    np.add.at(tsum, loc, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.where(counts > 0, tsum / np.maximum(counts, 1), np.inf)
    return counts, first


@dataclass
class Assemblies:
    """Assemblies identified from the identify phase.

    ``members[s]`` holds the local indices of input set ``s``'s assembly in its
    area; ``union[a]`` the union over the sets of area ``a`` (the variable's
    assembly used by the variable-level readouts); ``stability[s]`` the mean
    overlap of the single-window winners with the assembly.
    """

    members: dict
    union: dict
    stability: dict
    set_area: np.ndarray


def identify_assemblies(rec: Recording) -> Assemblies:
    """Each input set's assembly: the top-``k`` cells of its area over its identify windows (ties by first-spike time,
    then index), with the union per area and the per-window stability."""
    p = rec.protocol
    ident = p.windows("identify")
    set_area = np.full(int(p.stim_set.max()) + 1, -1)
    members, stability = {}, {}
    for a in range(p.n_areas):
        for s in np.unique(p.stim_set[ident, a]):
            if s < 0:
                continue
            set_area[s] = a
            wins = ident[p.stim_set[ident, a] == s]
            counts, first = _counts(rec, wins, a)
            asm = rank_neurons(counts, first, rec.k)
            members[int(s)] = asm
            per_window = []
            for w in wins:
                c, _ = _counts(rec, np.array([w]), a)
                per_window.append(np.isin(np.flatnonzero(c), asm).sum() / max(rec.k, 1))
            stability[int(s)] = float(np.mean(per_window)) if per_window else 0.0
    union = {}
    for a in range(p.n_areas):
        sets = [s for s in members if set_area[s] == a]
        union[a] = np.unique(np.concatenate([members[s] for s in sets])) if sets else np.array([], int)
    return Assemblies(members, union, stability, set_area)


#: synapses gathered at a time by :func:`synaptic_strength`
SYNAPSE_CHUNK = 1 << 21


def synaptic_strength(
    rec: Recording, asm: Assemblies, final: bool = True, chunk: int = SYNAPSE_CHUNK
) -> tuple[np.ndarray, np.ndarray]:
    """``S[u, v]``: mean weight from the assembly of ``u`` to that of ``v``, and synapse counts.

    Both engines store the synapses ordered by presynaptic cell; then only the
    synapses of assembly cells are read (their index ranges taken from the
    recording's ``syn_pre_ptr`` where the engine gives it, the rate engine, or
    found by binary search: about 6 % of the 18 M synapses of the Alzheimer default), a run of
    assembly cells of about ``chunk`` synapses at a time. Otherwise the synapse
    arrays are walked in chunks of ``chunk`` synapses. Either way the
    temporaries are a few MB that the allocator reuses instead of array-sized
    new memory (whose page faults cost about as much as the sums themselves on
    the benchmark machine, and which on the largest networks came to about 4
    bytes per synapse of the whole network). Both add the selected synapses in
    the same order; only the grouping of the partial sums differs, so the
    results agree to rounding (to the bit on the Alzheimer runs checked, rate
    and spiking, whose assembly synapses fit in one chunk)."""
    A, n = rec.n_areas, rec.n
    w = rec.w_final if final else rec.w_initial
    member = np.zeros(A * n, dtype=bool)
    for a, idx in asm.union.items():
        member[a * n + idx] = True
    total = np.zeros(A * A)
    count = np.zeros(A * A)

    def add(pre, post, weights):
        sel = member[pre] & member[post]
        pair = (pre[sel] // n) * A + post[sel] // n
        total[:] += np.bincount(pair, weights=weights[sel], minlength=A * A)
        count[:] += np.bincount(pair, minlength=A * A)

    ptr = rec.syn_pre_ptr
    if ptr is not None or _sorted(rec.syn_pre, chunk):
        if ptr is not None:  # the synapses of each cell from its pointers: syn_pre is never made
            cells = np.flatnonzero(member)
            lo, hi = ptr[cells], ptr[cells + 1]
        else:
            cells = np.flatnonzero(member).astype(rec.syn_pre.dtype)  # same dtype: no converted copy of the array
            lo = np.searchsorted(rec.syn_pre, cells, "left")
            hi = np.searchsorted(rec.syn_pre, cells, "right")
        sizes = hi - lo
        ends = np.cumsum(sizes)
        # the assembly cells in runs of about ``chunk`` synapses, in cell order: the gathered
        # temporaries stay a few MB however large the network
        first = 0
        while first < cells.size:
            base = ends[first - 1] if first else 0
            last = max(int(np.searchsorted(ends, base + chunk, "right")), first + 1)
            idx = index_ranges(lo[first:last], hi[first:last])
            pre = np.repeat(cells[first:last], sizes[first:last]) if ptr is not None else np.asarray(rec.syn_pre[idx])
            add(pre, np.asarray(rec.syn_post[idx]), np.asarray(w[idx]))
            first = last
    else:
        for lo in range(0, rec.syn_pre.size, chunk):
            add(rec.syn_pre[lo : lo + chunk], rec.syn_post[lo : lo + chunk], w[lo : lo + chunk])
    total, count = total.reshape(A, A), count.reshape(A, A)
    with np.errstate(invalid="ignore", divide="ignore"):
        S = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    np.fill_diagonal(S, np.nan)
    return S, count


def _sorted(values: np.ndarray, chunk: int) -> bool:
    """Whether ``values`` is non-decreasing (checked chunk by chunk)."""
    for lo in range(0, values.size, chunk):
        block = values[lo : lo + chunk + 1]
        if block.size > 1 and np.any(block[1:] < block[:-1]):
            return False
    return True


@dataclass
class Propagation:
    """Probe readout: ``overlap[u, v]`` = mean over ``u``'s sets of |responders ∩ A_v| / k."""

    overlap: np.ndarray
    fired: np.ndarray  # mean number of distinct neurons of v that fired per probe window of u
    responders: np.ndarray  # mean number of responders (<= k)
    precision: np.ndarray  # mean |responders ∩ A_v| / |responders| (0 when none responded)


def propagation(rec: Recording, asm: Assemblies) -> Propagation:
    """Probe propagation per ordered pair ``(u, v)``: the overlap of ``v``'s top-``k`` responders with ``v``'s
    assemblies when ``u`` is probed, their number and precision, and how many cells of ``v`` fired, over
    the probe windows in which ``v`` hears ``u`` (:attr:`~spiking_direct.protocol.Protocol.probe_of`;
    NaN where there are none)."""
    p = rec.protocol
    A, k = p.n_areas, rec.k
    probe = p.windows("probe")
    counts_wa = rec.window_area_counts()
    ov = np.full((A, A), np.nan)
    fired = np.full((A, A), np.nan)
    nresp = np.full((A, A), np.nan)
    prec = np.full((A, A), np.nan)
    heard = p.probe_of[probe]
    for u in range(A):
        hears_u = heard == u
        if not hears_u.any():
            continue
        for v in range(A):
            wins_u = probe[hears_u[:, v]]
            if v == u or wins_u.size == 0:
                continue
            o, r, pr = [], [], []
            for s in np.unique(p.stim_set[wins_u, u]):
                wins = wins_u[p.stim_set[wins_u, u] == s]
                counts, first = _counts(rec, wins, v)
                resp = rank_neurons(counts, first, k)
                hit = np.isin(resp, asm.union[v]).sum()
                o.append(hit / k)
                r.append(resp.size)
                pr.append(hit / resp.size if resp.size else 0.0)
            ov[u, v] = np.mean(o)
            nresp[u, v] = np.mean(r)
            prec[u, v] = np.mean(pr)
            fired[u, v] = counts_wa[wins_u, v].mean()
    return Propagation(ov, fired, nresp, prec)


def chance_corrected(prop: Propagation, asm: Assemblies, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(cover, overlap_cc)``: the share of each area that its assemblies cover (``cover[v]`` =
    ``|A_v| / n``, the union of ``v``'s value assemblies) and the propagation overlap corrected for
    chance: responders drawn at random from ``v`` would land in ``A_v`` with probability ``cover[v]``,
    so with ``r`` responders (the pair's mean over the source's sets) the expected overlap is
    ``e = r * cover[v] / k`` and ``overlap_cc = max(0, (overlap - e) / (1 - e))``: the propagation
    above chance, 1 when all ``k`` responders are in ``v``'s assemblies, 0 at or below chance, where
    no cell responded (no evidence either way) and where ``e`` is 1. Below chance is read as no
    propagation: scaled, it would weigh a few missing hits in an area of low cover as much as a
    reversed link. Without the correction a target whose assemblies cover most of its area (many
    values) scores a high overlap from any responders, and ``delta_prop`` of its links comes out
    reversed."""
    A = prop.overlap.shape[0]
    cover = np.array([asm.union.get(a, np.array([], int)).size / n for a in range(A)])
    expected = np.nan_to_num(prop.responders) * cover[None, :] / max(k, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cc = np.maximum((prop.overlap - expected) / (1 - expected), 0.0)
    cc[expected >= 1] = 0.0
    cc[np.nan_to_num(prop.responders) == 0] = 0.0
    cc[np.isnan(prop.overlap)] = np.nan
    return cover, cc


def probe_responders(rec: Recording) -> dict:
    """Responders of every probe: ``{(u, s, v): local indices}``, for every probed area ``u``,
    every input set ``s`` probed in it and every area ``v`` that hears it: the top-``k`` neurons of
    ``v`` (the module's tie rule) over all probe windows of ``s`` that ``v`` hears, as
    :func:`propagation` selects them."""
    p = rec.protocol
    probe = p.windows("probe")
    heard = p.probe_of[probe]
    out = {}
    for u in range(p.n_areas):
        hears_u = heard == u
        wins_u = probe[hears_u.any(axis=1)]
        for s in np.unique(p.stim_set[wins_u, u]):
            of_s = p.stim_set[probe, u] == s
            for v in range(p.n_areas):
                wins = probe[of_s & hears_u[:, v]]
                if v != u and wins.size:
                    counts, first = _counts(rec, wins, v)
                    out[(u, int(s), v)] = rank_neurons(counts, first, rec.k)
    return out


def within_band(x: np.ndarray, target: np.ndarray) -> float:
    """Fraction of ``x`` within +-25 % of ``target`` (elementwise; targets of 0 are left out; 0
    when none is left)."""
    ok = target > 0
    return float(np.mean(np.abs(x[ok] - target[ok]) <= 0.25 * target[ok])) if ok.any() else 0.0


def cap_statistics(rec: Recording) -> dict:
    """Winners per window (distinct neurons that fired) of the active areas, per phase,
    and of the areas that were held silent.

    Three bands of +-25 %: around ``k`` (``within_25pct``: the target of a circuit whose cap is a
    counter of ``k``), around the phase's mean (``within_25pct_of_mean``: one size for the whole
    circuit, set by its dynamics) and around the mean of the same assembly in the phase
    (``within_25pct_of_assembly``: each window against the windows in which the same area was
    given the same input set; windows of an area given none form one group). An assembly that
    never fired in the phase has no size to hold: its windows are left out of that fraction and
    counted in ``assemblies_never_fired``."""
    from .protocol import PHASES

    p = rec.protocol
    counts = rec.window_area_counts()
    out = {}
    for i, name in enumerate(PHASES):
        wins = np.flatnonzero(p.phase == i)
        if wins.size == 0:
            continue
        act = p.active[wins]
        if name == "probe":
            # the probed (stimulated) areas; target areas are reported by the propagation readout
            act = p.stim_set[wins] >= 0
        vals = counts[wins][act]
        silent = counts[wins][~p.active[wins]]
        # the assembly of each active (window, area): the area and the input set it was given
        area_of = np.broadcast_to(np.arange(p.n_areas), act.shape)[act]
        key = area_of.astype(np.int64) * (int(p.stim_set.max()) + 2) + (p.stim_set[wins][act] + 1)
        _, group = np.unique(key, return_inverse=True)
        means = np.bincount(group, weights=vals) / np.bincount(group)
        out[name] = {
            "mean": float(vals.mean()) if vals.size else 0.0,
            "std": float(vals.std()) if vals.size else 0.0,
            "min": int(vals.min()) if vals.size else 0,
            "max": int(vals.max()) if vals.size else 0,
            "within_25pct": within_band(vals, np.full(vals.shape, float(rec.k))),
            "within_25pct_of_mean": within_band(vals, np.full(vals.shape, vals.mean())) if vals.size else 0.0,
            "within_25pct_of_assembly": within_band(vals, means[group]),
            "assemblies_never_fired": int(np.sum(means == 0)),
            "silent_max": int(silent.max()) if silent.size else 0,
        }
    out["k"] = int(rec.k)
    return out


#: an area answers a do() window when at least this fraction of ``k`` of its
#: responders lie in the assemblies of its values (otherwise: no answer)
MIN_ANSWER_FRACTION = 0.25


@dataclass
class InterventionReadout:
    """What the trained network answers to ``do(X = x)``, for every query of the intervene phase.

    ``dist[(X, x)]``: (A, c_max) predicted distribution of every variable (rows
    padded with NaN beyond a variable's cardinality; all NaN for a variable
    that never answered); ``answered[(X, x)]``: (A,) fraction of the query's
    windows in which each area gave a value (1 for clamped areas, whose value
    is the one presented); ``windows[(X, x)]``: number of windows.
    """

    dist: dict
    answered: dict
    windows: dict
    cardinality: np.ndarray

    def ace(self) -> np.ndarray:
        """``ACE[X, Y] = P(Y = y_0 | do(X = x_0)) - P(Y = y_0 | do(X = x_last))`` (NaN if undefined)."""
        A = len(self.cardinality)
        out = np.full((A, A), np.nan)
        for x_area in range(A):
            hi = self.dist.get((x_area, 0))
            lo = self.dist.get((x_area, int(self.cardinality[x_area]) - 1))
            if hi is None or lo is None:
                continue
            out[x_area] = hi[:, 0] - lo[:, 0]
        np.fill_diagonal(out, np.nan)
        return out


def value_sets(asm: Assemblies, n_areas: int) -> list[list[int]]:
    """Input sets of every area in value order (the index encoding numbers them so)."""
    return [sorted(int(s) for s in asm.members if asm.set_area[s] == a) for a in range(n_areas)]


def interventions(
    rec: Recording, asm: Assemblies, min_fraction: float = MIN_ANSWER_FRACTION
) -> InterventionReadout | None:
    """Read the intervene windows as a population code.

    Per window and listening area, the responders (top ``k`` by the module's
    tie rule) that lie in the assembly of each value, ``h_v``; if they add up
    to at least ``min_fraction * k`` the window answers the distribution
    ``h_v / sum(h)`` (a cell in two value assemblies counts for both),
    otherwise it gives no answer. A query's predicted distribution is the mean
    over its answering windows. Clamped areas answer the value presented.
    ``None`` when the protocol has no intervene phase."""
    p = rec.protocol
    wins = p.windows("intervene")
    if wins.size == 0:
        return None
    A, n, k = p.n_areas, rec.n, rec.k
    sets = value_sets(asm, A)
    card = np.array([len(s) for s in sets])
    cmax = int(card.max())
    set_value = {s: v for a in range(A) for v, s in enumerate(sets[a])}
    need = max(1, int(np.ceil(min_fraction * k)))
    # member[a][i, v]: local cell i of area a lies in the assembly of a's value v
    member = []
    for a in range(A):
        m = np.zeros((n, max(card[a], 1)), dtype=bool)
        for v, s_v in enumerate(sets[a]):
            m[asm.members[s_v], v] = True
        member.append(m)
    # spikes of the intervene windows, grouped by window
    sel = np.isin(rec.spike_window, wins)
    sw, sn, st = rec.spike_window[sel], rec.spike_neuron[sel], rec.spike_time[sel]
    order = np.argsort(sw, kind="stable")
    sw, sn, st = sw[order], sn[order], st[order]
    bounds = np.searchsorted(sw, wins), np.searchsorted(sw, wins, side="right")
    shares = np.full((p.n_windows, A, cmax), np.nan)
    for i, w in enumerate(wins):
        neurons, times = sn[bounds[0][i] : bounds[1][i]], st[bounds[0][i] : bounds[1][i]]
        areas = neurons // n
        for a in range(A):
            s = int(p.stim_set[w, a])
            if s >= 0:
                if s in set_value:
                    shares[w, a, : card[a]] = 0.0
                    shares[w, a, set_value[s]] = 1.0
                continue
            loc = neurons[areas == a] - a * n
            if loc.size == 0:
                continue
            counts = np.bincount(loc, minlength=n).astype(float)
            first = np.full(n, np.inf)
            np.minimum.at(first, loc, times[areas == a])
            resp = rank_neurons(counts, first, k)
            hits = member[a][resp, : card[a]].sum(axis=0).astype(float)
            if hits.sum() >= need:
                shares[w, a, : card[a]] = hits / hits.sum()
    dist, answered, n_windows = {}, {}, {}
    for x_area in range(A):
        for x in range(int(card[x_area])):
            q = wins[(p.query_var[wins] == x_area) & (p.query_value[wins] == x)]
            if q.size == 0:
                continue
            sh = shares[q]  # (windows, A, cmax)
            ok = ~np.isnan(sh[:, :, 0])
            got = ok.mean(axis=0)
            d = np.full((A, cmax), np.nan)
            for a in range(A):
                if ok[:, a].any():
                    d[a, : card[a]] = sh[ok[:, a], a, : card[a]].mean(axis=0)
            dist[(x_area, x)], answered[(x_area, x)], n_windows[(x_area, x)] = d, got, int(q.size)
    return InterventionReadout(dist, answered, n_windows, card)
