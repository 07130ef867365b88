import numpy as np

from spiking_direct import readout
from spiking_direct.protocol import PHASES, Protocol
from spiking_direct.recording import Recording


def test_rank_neurons_tie_rule():
    counts = np.array([2, 2, 2, 1, 0, 3])
    first = np.array([0.010, 0.005, 0.005, 0.001, 0.0, 0.020])
    # 5 has most spikes; among the 2-spike ties 1 and 2 fire earlier than 0; 1 < 2 by index
    assert list(readout.rank_neurons(counts, first, 3)) == [1, 2, 5]
    # never-firing neurons are never selected
    assert list(readout.rank_neurons(counts, first, 6)) == [0, 1, 2, 3, 5]


def tiny_recording():
    """2 areas of n=10, k=3: identify (2 windows), one probe of area 0 into area 1."""
    A, n, W = 2, 10, 3
    phase = np.array([0, 0, 2], dtype=np.int8)
    stim_set = np.array([[0, 1], [0, 1], [0, -1]])
    active = np.array([[1, 1], [1, 1], [1, 1]], dtype=bool)
    fiber = np.zeros((W, A, A), bool)
    fiber[2, 0, 1] = True
    p = Protocol(
        A,
        phase,
        stim_set,
        stim_set >= 0,
        active,
        np.zeros((W, A)),
        np.zeros((W, A, A)),
        fiber,
        np.array([-1, -1, 0]),
        [[], [], []],
    )
    spikes = [  # (window, global neuron, time)
        (0, 0, 0.010),
        (0, 1, 0.011),
        (0, 2, 0.012),
        (1, 0, 0.010),
        (1, 1, 0.011),
        (1, 3, 0.012),
        (0, 15, 0.010),
        (0, 16, 0.010),
        (0, 17, 0.010),
        (1, 15, 0.010),
        (1, 16, 0.010),
        (1, 17, 0.010),
        # probe: area 1 answers with 15, 16 and an outsider 19 (and 18 fires later, ranked out)
        (2, 0, 0.010),
        (2, 1, 0.010),
        (2, 2, 0.010),
        (2, 15, 0.020),
        (2, 16, 0.021),
        (2, 19, 0.022),
        (2, 18, 0.030),
    ]
    w, i, t = map(np.array, zip(*spikes))
    pre = np.array([0, 1, 2, 15, 16, 17, 5])
    post = np.array([15, 16, 17, 0, 1, 2, 18])
    w_final = np.array([9.0, 8.0, 7.0, 1.0, 2.0, 0.0, 5.0])
    return Recording(p, n, 3, w.astype(np.int32), i.astype(np.int32), t, pre, post, np.ones(7), w_final)


def test_assemblies_strength_and_propagation():
    rec = tiny_recording()
    asm = readout.identify_assemblies(rec)
    assert list(asm.members[0]) == [0, 1, 2]  # 2 ties with 3 (one window each) and fires earlier
    assert list(asm.members[1]) == [5, 6, 7]  # local indices
    assert asm.stability[0] == np.mean([3 / 3, 2 / 3])
    S, count = readout.synaptic_strength(rec, asm)
    assert S[0, 1] == 8.0 and S[1, 0] == 1.0 and count[0, 1] == 3  # synapse 5 -> 18 is outside the assemblies
    prop = readout.propagation(rec, asm)
    assert prop.overlap[0, 1] == 2 / 3  # responders 15, 16, 19 (18 ranked out): two in the assembly
    assert prop.fired[0, 1] == 4 and prop.responders[0, 1] == 3 and prop.precision[0, 1] == 2 / 3
    assert np.isnan(prop.overlap[1, 0])  # area 1 was never probed
    cap = readout.cap_statistics(rec)
    assert cap["identify"]["mean"] == 3 and cap["k"] == 3


def test_window_area_counts_counts_distinct_neurons():
    rec = tiny_recording()
    counts = rec.window_area_counts()
    assert counts.tolist() == [[3, 3], [3, 3], [3, 4]]
    assert PHASES[rec.protocol.phase[2]] == "probe"


def test_spikes_in_selects_exactly_the_spikes_of_the_windows_and_area():
    """The (window, area) spike index gives the same spikes as a full scan,
    for any set of windows (unsorted, repeated, empty, without spikes)."""
    rec = tiny_recording()
    rng = np.random.default_rng(0)
    S = 5000
    W, A, n = rec.protocol.n_windows, rec.n_areas, rec.n
    rec.spike_window = np.sort(rng.integers(0, W, S)).astype(np.int32)  # before the index is first built
    rec.spike_neuron = rng.integers(0, A * n, S).astype(np.int32)
    rec.spike_time = rng.random(S)
    for windows in ([2, 0], [1, 1], [], [0, 1, 2]):
        for area in range(A):
            got = rec.spikes_in(np.array(windows, dtype=int), area)
            want = np.flatnonzero(np.isin(rec.spike_window, windows) & (rec.spike_neuron // n == area))
            assert np.array_equal(np.sort(got), want), (windows, area)
            assert np.all(np.diff(rec.spike_window[got]) >= 0)  # ascending window


def random_synapses(rec, seed: int, m: int):
    """``m`` random synapses stored by presynaptic cell on ``rec``'s cells (set on ``rec``):
    their presynaptic and postsynaptic cells (int32) and float32 weights."""
    rng = np.random.default_rng(seed)
    cells = rec.n_areas * rec.n
    pre = np.sort(rng.integers(0, cells, m)).astype(np.int32)
    post = rng.integers(0, cells, m).astype(np.int32)
    w = rng.random(m).astype(np.float32)
    rec.syn_pre, rec.syn_post, rec.w_final = pre, post, w
    return pre, post, w


def test_synaptic_strength_reads_only_assembly_synapses_when_sorted_by_pre():
    """Synapses stored by presynaptic cell (as both engines store them) take the
    binary-search path, any other order the chunked walk: the same counts and
    means (to rounding: a shuffled order sums in another order), both equal to
    a direct computation."""
    rec = tiny_recording()
    asm = readout.identify_assemblies(rec)
    A, n, m = rec.n_areas, rec.n, 400
    pre, post, w = random_synapses(rec, 1, m)
    rng = np.random.default_rng(1)
    S_sorted, c_sorted = readout.synaptic_strength(rec, asm, chunk=64)
    # the assembly cells read in runs of a few synapses (one cell's synapses may exceed a run): same sums
    for small in (1, 3, 7):
        S_runs, c_runs = readout.synaptic_strength(rec, asm, chunk=small)
        np.testing.assert_array_equal(c_runs, c_sorted)
        np.testing.assert_allclose(S_runs, S_sorted, rtol=1e-12, equal_nan=True)
    perm = rng.permutation(m)
    rec.syn_pre, rec.syn_post, rec.w_final = pre[perm], post[perm], w[perm]
    assert not readout._sorted(rec.syn_pre, 64)
    S_walk, c_walk = readout.synaptic_strength(rec, asm, chunk=64)
    np.testing.assert_array_equal(c_sorted, c_walk)
    np.testing.assert_allclose(S_sorted, S_walk, rtol=1e-12, equal_nan=True)
    member = {a: set(a * n + asm.union[a]) for a in range(A)}
    for u, v in ((0, 1), (1, 0)):
        sel = [i for i in range(m) if pre[i] in member[u] and post[i] in member[v]]
        assert c_sorted[u, v] == len(sel) > 0
        np.testing.assert_allclose(S_sorted[u, v], w[sel].astype(np.float64).mean(), rtol=1e-12)


def test_chance_corrected_overlap_undoes_the_cover_of_a_many_valued_target():
    """A target whose assemblies cover 90 % of its area scores 0.9 from random responders: the raw
    ``delta_prop`` of the link into the sparse area comes out reversed, the chance-corrected one does not;
    a silent target and a target below chance score 0."""
    n, k = 100, 10
    union = {0: np.arange(90), 1: np.arange(10), 2: np.arange(10)}
    asm = readout.Assemblies(members={}, union=union, stability={}, set_area=np.array([]))
    overlap = np.array([[np.nan, 0.6, 0.0], [0.9, np.nan, 0.0], [0.0, 0.0, np.nan]])
    responders = np.array([[np.nan, 10, 0], [10, np.nan, 0], [0, 0, np.nan]], float)
    prop = readout.Propagation(overlap, responders.copy(), responders, overlap.copy())
    cover, cc = readout.chance_corrected(prop, asm, n, k)
    assert np.allclose(cover, [0.9, 0.1, 0.1])
    assert np.isclose(cc[1, 0], 0.0)  # at chance
    assert np.isclose(cc[0, 1], (0.6 - 0.1) / 0.9)
    assert overlap[0, 1] - overlap[1, 0] < 0 < cc[0, 1] - cc[1, 0]
    assert cc[0, 2] == cc[2, 0] == cc[1, 2] == 0.0  # silent targets
    assert np.isnan(np.diag(cc)).all()
    # below chance is no propagation: 0, however high or low the cover
    below = readout.Propagation(np.where(np.isnan(overlap), np.nan, 0.0), responders, responders, overlap.copy())
    cc_below = readout.chance_corrected(below, asm, n, k)[1]
    assert cc_below[1, 0] == 0.0 and cc_below[0, 1] == 0.0
    # half the responders: the expected overlap halves with them
    prop_half = readout.Propagation(overlap, responders / 2, responders / 2, overlap.copy())
    assert np.isclose(readout.chance_corrected(prop_half, asm, n, k)[1][1, 0], (0.9 - 0.45) / 0.55)


def test_synaptic_strength_from_presynaptic_pointers_never_makes_syn_pre():
    """A recording that gives its synapses' pointers per presynaptic cell (the rate engine) and no
    ``syn_pre``: the readout reads the same sums without making ``syn_pre`` (4 bytes per synapse),
    and ``syn_pre``, when read, is the presynaptic cell of every synapse."""
    rec = tiny_recording()
    asm = readout.identify_assemblies(rec)
    pre, _, _ = random_synapses(rec, 3, 500)
    want_S, want_c = readout.synaptic_strength(rec, asm, chunk=16)
    ptr = np.searchsorted(pre, np.arange(rec.n_areas * rec.n + 1)).astype(np.int64)
    rec.syn_pre, rec.syn_pre_ptr = None, ptr
    for chunk in (1, 16, 1 << 21):
        S, c = readout.synaptic_strength(rec, asm, chunk=chunk)
        np.testing.assert_array_equal(c, want_c)
        np.testing.assert_array_equal(S, want_S)
    assert rec.__dict__["_syn_pre"] is None  # never made by the readout
    np.testing.assert_array_equal(rec.syn_pre, pre)  # made when read


def test_cap_bands_around_k_the_circuit_mean_and_each_assembly():
    """Area 0 alternates two input sets whose assemblies differ in size (about 10 and 20 cells):
    k = 12 holds the small one only, the circuit's mean (15.25) neither, each assembly's own mean
    both; the silent area 1 counts only as ``silent_max``."""
    from types import SimpleNamespace

    p = SimpleNamespace(
        n_areas=2,
        phase=np.zeros(4, dtype=np.int8),
        stim_set=np.array([[0, -1], [1, -1], [0, -1], [1, -1]]),
        active=np.array([[1, 0]] * 4, dtype=bool),
    )
    counts = np.array([[10, 0], [20, 1], [11, 0], [20, 0]])
    rec = SimpleNamespace(protocol=p, k=12, window_area_counts=lambda: counts)
    cap = readout.cap_statistics(rec)["identify"]
    assert cap["mean"] == 15.25 and cap["silent_max"] == 1
    assert cap["within_25pct"] == 0.5
    assert cap["within_25pct_of_mean"] == 0.0
    assert cap["within_25pct_of_assembly"] == 1.0 and cap["assemblies_never_fired"] == 0
    # a third input set whose assembly never fires: left out of the assembly band, and counted
    p.phase, p.active = np.zeros(5, dtype=np.int8), np.array([[1, 0]] * 5, dtype=bool)
    p.stim_set = np.vstack([p.stim_set, [[2, -1]]])
    rec.window_area_counts = lambda: np.vstack([counts, [[0, 0]]])
    cap = readout.cap_statistics(rec)["identify"]
    assert cap["assemblies_never_fired"] == 1 and cap["within_25pct_of_assembly"] == 1.0
    assert cap["within_25pct"] == 2 / 5
