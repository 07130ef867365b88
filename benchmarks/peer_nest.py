"""The simulation core against NEST 3.10: one E/I LIF network with STDP, single thread.

Question answered: per simulated second, how fast is the C++ code that
``spiking_direct`` generates (Brian2 2.8 ``cpp_standalone``, our model code)
compared with NEST 3.10 on the same network, one thread each? (Target stated
by the issue: ours at least 3x faster than NEST at 16 000 excitatory neurons.)

The network (both simulators)
-----------------------------
N_E excitatory and N_I = N_E / 4 inhibitory LIF cells; every projection
(E->E, E->I, I->E, I->I) is a Bernoulli(p = 0.05) draw per ordered pair of
cells (self-connections allowed, as NEST's ``pairwise_bernoulli`` and Brian2's
``sample`` both do by default), every synapse has a 2 ms delay (``STDPParams``'
default delay; one delay everywhere, so that NEST's min_delay is 2 ms, its
favourable setting); current-based exponential synapses; pair-based
additive STDP with all-to-all exponential traces on E->E; independent
Poisson background to every cell; 2 s of biological time at dt = 0.1 ms;
one thread. Weights are scaled by ``s = 4000 / N_E`` (the in-degree grows with
N at fixed p), so the mean recurrent input, and the rates, stay about the
same across sizes: E->E uniform in [0, 1 mV x s], E->I 1 mV x s, I->E and
I->I -3 mV x s (current jumps in ``ge``/``gi`` units); background 100 Poisson
sources x 10 Hz x 2 mV per cell (calibrated on NEST at N_E = 4000 for a few
Hz: E 3-4 Hz, I 12-15 Hz).

What is identical
~~~~~~~~~~~~~~~~~
* Neuron: LIF with the parameters of :class:`ExcitatoryParams` (E_L = v_reset
  = -70 mV, threshold -50 mV, tau_m = 10 ms, tau_ref = 5 ms, tau_e = tau_i =
  20 ms). Brian2: ``tau_m dv/dt = E_L - v + ge - gi + noise``, ``ge``/``gi`` in
  volts; NEST ``iaf_psc_exp`` with C_m = 250 pF, a jump of ``w`` mV in ``ge``
  is a jump of ``w * C_m / tau_m`` pA in I_syn_ex (the same equations).
  Inhibitory cells use the same model and parameters (our inhibitory
  counter cell of :func:`inhibitory_model` has no synaptic currents, so it does
  not fit a current-based E/I network).
* STDP rule: :func:`stdp_model` with the additive weight rule and
  :func:`stdp_traces` (pair_exp, all-to-all, tau_pre = tau_post = 20 ms,
  A_plus = 1.5, A_minus = 1.6 of ``STDPParams``, hard bounds [0, w_max]);
  NEST ``stdp_synapse_hom`` with mu_plus = mu_minus = 0 (additive),
  lambda = gain * A_plus, alpha = A_minus / A_plus, Wmax = w_max, tau_plus =
  tau_minus = 20 ms; the gain (DIRECT's beta, ``plasticity_gain``) is 0.01:
  with DIRECT's 0.09-0.16 the weights, and so the rates, drifted upwards
  within seconds (NEST runs its repeats on one network), and a drifting rate
  makes timings incomparable; the gain changes no work per event. Initial
  E->E weights uniform in [0, w_init], w_init = 1 mV x s, w_max = 10 mV x s
  (``STDPParams`` defaults scaled by s, below), as in DIRECT.
* Static weights: one weight per projection (Brian2: namespace constants in
  ``on_pre``, as DIRECT's E->I and I->E synapses; NEST ``static_synapse_hom_w``).
* Drive: Brian2 ``PoissonInput`` of 100 sources per cell at ``nu_ext`` each;
  NEST one ``poisson_generator`` of rate 100 * nu_ext (independent train per
  target), same weight.
* Membrane noise: sigma = 0.7 mV white noise (pinned to this value, not the package default)
  (Euler-Maruyama, one Gaussian per cell per step in Brian2); NEST a
  ``noise_generator`` (independent per target, new value every 0.1 ms) whose
  std (C_m sigma sqrt(2 / (tau_m dt)) = 247.5 pA) gives the same free-membrane
  variance: both draw one Gaussian per cell per step.
* Recording: every spike of every cell (``SpikeMonitor`` / ``spike_recorder``).

What differs
~~~~~~~~~~~~
* Our side is DIRECT's generated code: the excitatory equations of
  :func:`excitatory_model` including the window-clock threshold
  ``theta = v_th + hold - area_active(t, area) * (hold + ramp_amp) *
  clip((t_area - t_ramp) / T_ramp, 0, 1)`` with ``t_area`` from
  ``area_offset(t, area)`` (two TimedArray lookups, a modulo and a clip per
  cell per step), and the STDP synapse of :func:`stdp_model` with its
  ``plasticity_gain(t, pair)`` and ``fiber_on(t, pair)`` TimedArray lookups per
  synaptic event. The TimedArrays are constant (area always active, offset
  0, gain 0.1, fibre on; one area, so ``pair = 0``). To make ``theta`` a fixed
  -50 mV threshold, as NEST's, the ramp is placed before the window start
  (``t_ramp = -T_ramp``, so the clip is 1 throughout) and ``ramp_amp = 0``:
  ``theta = v_th + hold - hold = v_th``. These are runtime values, so
  Brian2's code optimiser cannot remove the lookups (with ``hold + ramp_amp =
  0`` it would fold the product away): the code executed per step is the code
  DIRECT runs. NEST has no counterpart to these lookups (extra work on our
  side).
* Left out of our side: DIRECT's end-of-window reset (a ``run_regularly``
  every 40 ms resetting v, ge, gi and the traces: one pass over the cells per
  400 steps, negligible cost), because NEST cannot reset synaptic traces; the
  input cells of :func:`input_model` (replaced by the Poisson background) and
  the k-cap interneurons.
* Integration: Brian2 Euler(-Maruyama) as DIRECT (``method="euler"``); NEST
  exact integration (``iaf_psc_exp`` propagators). Same model, slightly
  different numerics.
* STDP delay semantics: ours (see :mod:`spiking_direct.models.synapses`)
  delays transmission and depression by the axonal delay d and potentiates
  at the post spike with the undelayed pre trace; NEST treats the whole delay
  as dendritic (pairs are compared at t_post + d - t_pre). Same rule and
  bounds, pairing windows shifted by d = 2 ms. Work per spike: Brian2 updates
  the outgoing synapses on each (delayed) pre spike and the incoming synapses
  on each post spike; NEST updates a synapse only when a pre spike arrives,
  replaying the post-spike history since the previous one.
* Brian2 compiles with its default flags (``-O3 -ffast-math -march=native``);
  NEST is the ``pip install nest-simulator`` wheel (generic x86-64 build).

Timing (both sides single thread: ``OMP_NUM_THREADS=1``, NEST
``local_num_threads=1``, Brian2 ``openmp_threads = 0``)
-----------------------------------------------------------------------------
Every (simulator, N_E) runs in its own subprocess (peak RSS per run).

Brian2: ``compile_s`` = code generation + make (parallel make, ``-j`` cores;
compile once per network size); the binary is then run ``--repeats`` times;
C++ timers inserted into ``main`` split each run into ``setup_s``
(connectivity generation, initial values), ``sim_s`` (the ``network.run``
call: spike-queue initialisation + the time-step loop) and ``write_s``
(``brian_end`` writing every array to disk, including all synapse arrays).
NEST: ``build_s`` = Create + Connect, ``prepare_s`` = ``nest.Prepare()``
(connection sorting, infrastructure), then ``nest.Run(2000 ms)`` timed
``--repeats`` times on the same network (each repeat is another 2 s of
biology). ``sim per bio s`` = median sim wall time / 2 s. CPU time is
recorded too: a CPU/wall ratio well below 1 means another job took the core.

Rates must agree within 20 % (E and I, mean over cells and the 2 s) or that
size is not compared. ``--profile`` (automatic when the 3x target is missed at
16 000) rebuilds our side with Brian2's ``profile=True`` and prints the time per
code object.

``--no-noise`` is a variant without membrane noise in either simulator
(sigma = 0, no ``noise_generator``): NEST's per-target noise events are a large
part of its cost, and Brian2 still draws one Gaussian per cell and step even
with sigma = 0 (its optimiser does not drop a stochastic term), so this
variant is the conservative one for our side.

Usage::

    python benchmarks/peer_nest.py --quick      # N_E = 4000, 16000
    python benchmarks/peer_nest.py              # N_E = 4000, 8000, 16000, 32000
    python benchmarks/peer_nest.py --no-noise --sizes 16000 --repeats 2
    python benchmarks/peer_nest.py --profile-only   # Brian2 profile at 16000

Writes ``benchmarks/results/peer_nest[_quick][_nonoise].csv`` (summary),
``..._runs.csv`` (every repeat), ``..._profile.csv`` and ``....png``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SPEEDUP = 3.0
TARGET_N_E = 16000
SIGMA_MV = 0.7  # membrane noise (mV), both simulators: the default when the comparison was recorded


# --------------------------------------------------------------------------
# The network, in plain numbers (mV, ms, Hz), shared by both simulators
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Net:
    n_e: int
    p: float = 0.05
    T_ms: float = 2000.0
    dt_ms: float = 0.1
    delay_ms: float = 2.0  # STDPParams().delay, used for every projection
    gain: float = 0.01  # plasticity gain (DIRECT beta; see docstring)
    w_init0: float = 1.0  # E->E initial weights uniform in [0, w_init0 * s] (STDPParams().w_init)
    w_max0: float = 10.0  # E->E upper bound (STDPParams().w_max) * s
    J_ei0: float = 1.0  # E->I weight / s, mV
    J_inh0: float = 3.0  # I->E and I->I weight / s, mV (inhibitory)
    n_ext: int = 100  # Poisson sources per cell
    nu_ext: float = 10.0  # rate of each source, Hz (calibrated: E ~4 Hz, I ~15 Hz)
    w_ext: float = 2.0  # weight of the background, mV (not scaled: fixed in-degree)
    C_m_pF: float = 250.0  # NEST membrane capacitance (Brian2's ge/gi are in volts)
    noise: bool = True  # membrane noise (sigma of ExcitatoryParams); --no-noise: sigma = 0 in both
    seed: int = 1

    @property
    def n_i(self) -> int:
        return self.n_e // 4

    @property
    def s(self) -> float:
        return 4000.0 / self.n_e

    @property
    def w_init(self) -> float:
        return self.w_init0 * self.s

    @property
    def w_max(self) -> float:
        return self.w_max0 * self.s

    @property
    def J_ei(self) -> float:
        return self.J_ei0 * self.s

    @property
    def J_inh(self) -> float:
        return self.J_inh0 * self.s


from spiking_direct.results import machine, write_csv  # noqa: E402


def busy_processes(own: set[int]) -> str:
    """Other processes using CPU now (a quick `ps`), to flag contention."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    except OSError:
        return ""
    busy = []
    for line in out.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) == 3 and float(parts[1]) >= 20 and int(parts[0]) not in own:
            busy.append(f"{parts[2]}({parts[1]}%)")
    return " ".join(busy[:5])


# --------------------------------------------------------------------------
# Brian2 side: our model code, cpp_standalone
# --------------------------------------------------------------------------
_TIMER_DECL = (
    "struct timespec _bw0, _bw1, _bw2, _bw3; double _bc0, _bc1 = 0, _bc2 = 0, _bc3;"
    " clock_gettime(CLOCK_MONOTONIC, &_bw0); _bc0 = (double)std::clock() / CLOCKS_PER_SEC;"
)
_TIMER_1 = "clock_gettime(CLOCK_MONOTONIC, &_bw1); _bc1 = (double)std::clock() / CLOCKS_PER_SEC;"
_TIMER_2 = "clock_gettime(CLOCK_MONOTONIC, &_bw2); _bc2 = (double)std::clock() / CLOCKS_PER_SEC;"
_TIMER_END = r"""
clock_gettime(CLOCK_MONOTONIC, &_bw3); _bc3 = (double)std::clock() / CLOCKS_PER_SEC;
{
    struct rusage _ru; getrusage(RUSAGE_SELF, &_ru);
    auto _d = [](struct timespec a, struct timespec b) { return (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec); };
    std::ofstream _f(brian::results_dir + "bench_timing.txt");
    _f << "setup_s " << _d(_bw0, _bw1) << "\nsim_s " << _d(_bw1, _bw2) << "\nwrite_s " << _d(_bw2, _bw3)
       << "\nsetup_cpu_s " << (_bc1 - _bc0) << "\nsim_cpu_s " << (_bc2 - _bc1) << "\nwrite_cpu_s " << (_bc3 - _bc2)
       << "\nmaxrss_kb " << _ru.ru_maxrss << "\n";
}
"""


def brian2_worker(net: Net, repeats: int, profile: bool, workdir: Path) -> dict:
    import brian2 as b2

    from spiking_direct.engines.backends import check_compiler, make_jobs
    from spiking_direct.models import ExcitatoryParams, STDPParams, WindowClock, excitatory_model, stdp_model
    from spiking_direct.models.synapses import stdp_traces

    check_compiler()
    b2.prefs.logging.console_log_level = "WARNING"
    t0 = time.perf_counter()
    b2.set_device("cpp_standalone", build_on_run=False, directory=str(workdir))
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{make_jobs()}"]
    b2.prefs.codegen.cpp.headers = list(b2.prefs.codegen.cpp.headers) + ["<sys/resource.h>", "<fstream>"]
    b2.device.insert_code("before_start", _TIMER_DECL)
    b2.seed(net.seed)
    b2.defaultclock.dt = net.dt_ms * b2.ms
    mV, ms = b2.mV, b2.ms

    # the window-clock threshold with constant protocol arrays: always active,
    # offset 0, ramp before the window start and ramp_amp 0 -> theta == v_th
    base_clock = WindowClock()
    clock = WindowClock(t_ramp=-base_clock.T_ramp)
    exc = ExcitatoryParams(ramp_amp=0 * mV, sigma=(SIGMA_MV if net.noise else 0.0) * mV)
    stdp = STDPParams(w_max=net.w_max * mV, w_init=net.w_init * mV, delay=net.delay_ms * ms)
    W = int(np.ceil(net.T_ms / float(clock.T_win / ms))) + 1
    timed = {
        "area_active": b2.TimedArray(np.ones((W, 1)), dt=clock.T_win, name="area_active"),
        "area_offset": b2.TimedArray(np.zeros((W, 1)) * b2.second, dt=clock.T_win, name="area_offset"),
        "plasticity_gain": b2.TimedArray(np.full((W, 1), net.gain), dt=clock.T_win, name="plasticity_gain"),
        "fiber_on": b2.TimedArray(np.ones((W, 1)), dt=clock.T_win, name="fiber_on"),
    }
    ns = {
        **clock.namespace(),
        **exc.namespace(),
        **stdp.namespace(),
        **timed,
        "n_areas": 1,
        "J_ei": net.J_ei * mV,
        "J_inh": net.J_inh * mV,
        "w_ext": net.w_ext * mV,
        "p_conn": net.p,
    }

    exc_eqs, thr, reset = excitatory_model(theta="cell")
    tr_eqs, tr_spike, _tr_reset = stdp_traces()
    E = b2.NeuronGroup(
        net.n_e,
        exc_eqs + tr_eqs,
        threshold=thr,
        reset=f"{reset}; {tr_spike}",
        refractory="tau_ref",
        method="euler",
        namespace=ns,
        name="exc",
    )
    I = b2.NeuronGroup(
        net.n_i, exc_eqs, threshold=thr, reset=reset, refractory="tau_ref", method="euler", namespace=ns, name="inh"
    )
    for G in (E, I):
        G.area = 0
        G.v = exc.E_L
    P_E = b2.PoissonInput(E, "ge", N=net.n_ext, rate=net.nu_ext * b2.Hz, weight="w_ext")
    P_I = b2.PoissonInput(I, "ge", N=net.n_ext, rate=net.nu_ext * b2.Hz, weight="w_ext")

    ee_eqs, ee_pre, ee_post = stdp_model(stdp)
    S_ee = b2.Synapses(E, E, ee_eqs, on_pre=ee_pre, on_post=ee_post, delay=stdp.delay, namespace=ns, name="syn_ee")
    S_ee.connect(j="k for k in sample(N_post, p=p_conn)")
    S_ee.w = "rand() * w_init"
    S_ei = b2.Synapses(E, I, on_pre="ge_post += J_ei", delay=stdp.delay, namespace=ns, name="syn_ei")
    S_ie = b2.Synapses(I, E, on_pre="gi_post += J_inh", delay=stdp.delay, namespace=ns, name="syn_ie")
    S_ii = b2.Synapses(I, I, on_pre="gi_post += J_inh", delay=stdp.delay, namespace=ns, name="syn_ii")
    for S in (S_ei, S_ie, S_ii):
        S.connect(j="k for k in sample(N_post, p=p_conn)")
    M_E = b2.SpikeMonitor(E, record=True, name="spikes_exc")
    M_I = b2.SpikeMonitor(I, record=True, name="spikes_inh")
    network = b2.Network(E, I, P_E, P_I, S_ee, S_ei, S_ie, S_ii, M_E, M_I, name="peer_network")
    b2.device.insert_code("main", _TIMER_1)
    network.run(net.T_ms * ms, profile=profile)
    b2.device.insert_code("main", _TIMER_2)
    b2.device.insert_code("after_end", _TIMER_END)
    b2.device.build(directory=str(workdir), compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0

    runs = []
    prof = None
    for r in range(repeats):
        res = f"results_{r}"
        t1 = time.perf_counter()
        b2.device.run(directory=str(workdir), results_directory=res, with_output=False)
        binary_s = time.perf_counter() - t1
        timing = dict(line.split() for line in open(workdir / res / "bench_timing.txt"))
        timing = {k: float(v) for k, v in timing.items()}
        run = {
            "repeat": r,
            "binary_s": binary_s,
            **timing,
            "loop_cpu_s": float(b2.device._last_run_time),
            "spikes_e": int(M_E.num_spikes),
            "spikes_i": int(M_I.num_spikes),
        }
        if r == 0:
            run["syn_ee"] = int(len(S_ee))
            run["syn_total"] = int(len(S_ee) + len(S_ei) + len(S_ie) + len(S_ii))
            run["w_ee_mean_end"] = float(np.mean(S_ee.w[:] / mV))
        if profile and prof is None:
            # (device.network_get_profiling_info reads results/ and ignores results_directory)
            prof = [
                (line.split()[0], float(line.split()[1]))
                for line in open(workdir / res / "profiling_info.txt")
                if line.strip()
            ]
            prof.sort(key=lambda item: -item[1])
        runs.append(run)
        shutil.rmtree(workdir / res, ignore_errors=True)
    return {"compile_s": compile_s, "runs": runs, "profile": prof}


# --------------------------------------------------------------------------
# NEST side
# --------------------------------------------------------------------------
def nest_worker(net: Net, repeats: int) -> dict:
    try:
        import nest
    except Exception as exc:  # noqa: BLE001
        return {"skip": f"NEST not available: {exc!r}"}
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    from spiking_direct.models import ExcitatoryParams, STDPParams

    exc, stdp = ExcitatoryParams(), STDPParams()
    ms_, mV_ = 1e-3, 1e-3
    tau_m = float(exc.tau_m) / ms_
    pA_per_mV = net.C_m_pF / tau_m  # w mV in ge  ==  w * C_m / tau_m pA in I_syn
    t0 = time.perf_counter()
    nest.SetKernelStatus({"resolution": net.dt_ms, "local_num_threads": 1, "rng_seed": net.seed, "print_time": False})
    neuron = {
        "C_m": net.C_m_pF,
        "tau_m": tau_m,
        "E_L": float(exc.E_L) / mV_,
        "V_reset": float(exc.v_reset) / mV_,
        "V_th": float(exc.v_th) / mV_,
        "t_ref": float(exc.tau_ref) / ms_,
        "tau_syn_ex": float(exc.tau_e) / ms_,
        "tau_syn_in": float(exc.tau_i) / ms_,
        "I_e": 0.0,
        "V_m": float(exc.E_L) / mV_,
        "tau_minus": float(stdp.tau_post) / ms_,
    }
    E = nest.Create("iaf_psc_exp", net.n_e, params=neuron)
    I = nest.Create("iaf_psc_exp", net.n_i, params=neuron)
    d = net.delay_ms
    sigma = SIGMA_MV
    noise_std = net.C_m_pF * sigma * np.sqrt(2.0 / (tau_m * net.dt_ms))  # pA: same free-membrane sd
    noise = nest.Create("noise_generator", params={"mean": 0.0, "std": noise_std, "dt": net.dt_ms})
    pg = nest.Create("poisson_generator", params={"rate": net.n_ext * net.nu_ext})
    rec_e = nest.Create("spike_recorder")
    rec_i = nest.Create("spike_recorder")
    if net.noise:
        nest.Connect(noise, E + I, syn_spec={"delay": d})
    nest.Connect(pg, E + I, syn_spec={"weight": net.w_ext * pA_per_mV, "delay": d})
    nest.CopyModel(
        "stdp_synapse_hom",
        "ee_stdp",
        {
            "tau_plus": float(stdp.tau_pre) / ms_,
            "lambda": net.gain * stdp.A_plus,
            "alpha": stdp.A_minus / stdp.A_plus,
            "mu_plus": 0.0,
            "mu_minus": 0.0,
            "Wmax": net.w_max * pA_per_mV,
        },
    )
    for name, w in (("ei_static", net.J_ei), ("ie_static", -net.J_inh), ("ii_static", -net.J_inh)):
        nest.CopyModel("static_synapse_hom_w", name, {"weight": w * pA_per_mV})
    rule = {"rule": "pairwise_bernoulli", "p": net.p, "allow_autapses": True}
    nest.Connect(
        E, E, rule, {"synapse_model": "ee_stdp", "delay": d, "weight": nest.random.uniform(0.0, net.w_init * pA_per_mV)}
    )
    nest.Connect(E, I, rule, {"synapse_model": "ei_static", "delay": d})
    nest.Connect(I, E, rule, {"synapse_model": "ie_static", "delay": d})
    nest.Connect(I, I, rule, {"synapse_model": "ii_static", "delay": d})
    nest.Connect(E, rec_e, syn_spec={"delay": d})  # (a default 1 ms delay here would set min_delay)
    nest.Connect(I, rec_i, syn_spec={"delay": d})
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Prepare()
    prepare_s = time.perf_counter() - t1
    counts = {
        m: int(nest.GetDefaults(m)["num_connections"]) for m in ("ee_stdp", "ei_static", "ie_static", "ii_static")
    }
    runs = []
    seen_e = seen_i = 0
    for r in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        nest.Run(net.T_ms)
        sim_s, sim_cpu = time.perf_counter() - w0, time.process_time() - c0
        se, si = int(rec_e.n_events) - seen_e, int(rec_i.n_events) - seen_i
        seen_e, seen_i = seen_e + se, seen_i + si
        runs.append({"repeat": r, "sim_s": sim_s, "sim_cpu_s": sim_cpu, "spikes_e": se, "spikes_i": si})
    nest.Cleanup()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before reading weights back (costly)
    w_mean = None
    if net.n_e <= 4000:  # reading weights back builds a dict per synapse: only at the smallest size
        w_mean = float(np.mean(nest.GetConnections(E, E).get("weight"))) / pA_per_mV
    return {
        "build_s": build_s,
        "prepare_s": prepare_s,
        "min_delay": float(nest.GetKernelStatus("min_delay")),
        "syn_ee": counts["ee_stdp"],
        "syn_total": sum(counts.values()),
        "runs": runs,
        "w_ee_mean_end": w_mean,
        "nest_version": nest.__version__,
        "maxrss_kb": maxrss_kb,
    }


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------
def run_worker(
    kind: str, n_e: int, repeats: int, profile: bool, workdir: Path, nu_ext: float, noise: bool = True
) -> dict:
    out = workdir / f"{kind}_{n_e}{'_prof' if profile else ''}.json"
    cmd = (
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--n-e",
            str(n_e),
            "--repeats",
            str(repeats),
            "--json",
            str(out),
            "--workdir",
            str(workdir / f"b2_{n_e}{'_prof' if profile else ''}"),
            "--nu-ext",
            str(nu_ext),
        ]
        + (["--profile"] if profile else [])
        + ([] if noise else ["--no-noise"])
    )
    load = os.getloadavg()[0]
    others = busy_processes({os.getpid()})
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stdout + proc.stderr)[-3000:]
        return {"error": f"{kind} worker failed (rc {proc.returncode}):\n{tail}"}
    res = json.loads(out.read_text())
    res.update({"worker_wall_s": wall, "load1_before": load, "busy_before": others})
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["children_maxrss_kb_cum"] = ru.ru_maxrss
    return res


def summarise(n_e: int, b2r: dict, nr: dict | None, net: Net) -> dict:
    T = net.T_ms / 1000.0
    b2runs = b2r["runs"]
    row = {
        "n_e": n_e,
        "n_i": net.n_i,
        "b2_syn_ee": b2runs[0]["syn_ee"],
        "b2_syn_total": b2runs[0]["syn_total"],
        "b2_compile_s": b2r["compile_s"],
        "b2_setup_s": float(np.median([r["setup_s"] for r in b2runs])),
        "b2_sim_s": float(np.median([r["sim_s"] for r in b2runs])),
        "b2_sim_cpu_s": float(np.median([r["sim_cpu_s"] for r in b2runs])),
        "b2_loop_cpu_s": float(np.median([r["loop_cpu_s"] for r in b2runs])),
        "b2_write_s": float(np.median([r["write_s"] for r in b2runs])),
        "b2_peak_rss_mb": max(r["maxrss_kb"] for r in b2runs) / 1024,
        "b2_rate_e": float(np.mean([r["spikes_e"] for r in b2runs])) / (n_e * T),
        "b2_rate_i": float(np.mean([r["spikes_i"] for r in b2runs])) / (net.n_i * T),
        "b2_w_ee_mean_end": b2runs[0].get("w_ee_mean_end"),
        "b2_repeats": len(b2runs),
    }
    row["b2_sim_per_bio_s"] = row["b2_sim_s"] / T
    if nr is not None and "runs" in nr:
        nruns = nr["runs"]
        row.update(
            {
                "nest_syn_ee": nr["syn_ee"],
                "nest_syn_total": nr["syn_total"],
                "nest_build_s": nr["build_s"],
                "nest_prepare_s": nr["prepare_s"],
                "nest_sim_s": float(np.median([r["sim_s"] for r in nruns])),
                "nest_sim_cpu_s": float(np.median([r["sim_cpu_s"] for r in nruns])),
                "nest_peak_rss_mb": nr["maxrss_kb"] / 1024,
                "nest_rate_e": float(np.mean([r["spikes_e"] for r in nruns])) / (n_e * T),
                "nest_rate_i": float(np.mean([r["spikes_i"] for r in nruns])) / (net.n_i * T),
                "nest_w_ee_mean_end": nr.get("w_ee_mean_end"),
                "nest_min_delay_ms": nr["min_delay"],
                "nest_repeats": len(nruns),
            }
        )
        row["nest_sim_per_bio_s"] = row["nest_sim_s"] / T
        dev_e = abs(row["b2_rate_e"] - row["nest_rate_e"]) / row["nest_rate_e"]
        dev_i = abs(row["b2_rate_i"] - row["nest_rate_i"]) / row["nest_rate_i"]
        row["rate_dev_e"], row["rate_dev_i"] = dev_e, dev_i
        row["rates_match"] = bool(dev_e <= 0.2 and dev_i <= 0.2)
        row["speedup_sim"] = row["nest_sim_s"] / row["b2_sim_s"] if row["rates_match"] else float("nan")
        row["speedup_sim_cpu"] = (row["nest_sim_cpu_s"] / row["b2_sim_cpu_s"]) if row["rates_match"] else float("nan")
        row["speedup_total"] = (
            (nr["build_s"] + nr["prepare_s"] + row["nest_sim_s"])
            / (row["b2_compile_s"] + row["b2_setup_s"] + row["b2_sim_s"] + row["b2_write_s"])
            if row["rates_match"]
            else float("nan")
        )
    return row


def print_table(rows: list[dict], mach: str) -> None:
    print()
    print(f"machine: {mach}")
    print("single thread, 2 s biological time, dt 0.1 ms; times in s (medians); sim/bio = simulate s per simulated s")
    head = (
        f"{'N_E':>6} {'syn E->E':>10} {'syn all':>10} | {'B2 compile':>10} {'setup':>6} {'sim/bio':>8} "
        f"{'write':>6} {'RSS MB':>7} {'rE Hz':>6} {'rI Hz':>6} | {'NEST build':>10} {'prep':>6} {'sim/bio':>8} "
        f"{'RSS MB':>7} {'rE Hz':>6} {'rI Hz':>6} | {'NEST/B2 sim':>11} {'cpu':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        line = (
            f"{r['n_e']:6d} {r['b2_syn_ee']:10d} {r['b2_syn_total']:10d} | {r['b2_compile_s']:10.1f} "
            f"{r['b2_setup_s']:6.2f} {r['b2_sim_per_bio_s']:8.2f} {r['b2_write_s']:6.2f} "
            f"{r['b2_peak_rss_mb']:7.0f} {r['b2_rate_e']:6.2f} {r['b2_rate_i']:6.2f} |"
        )
        if "nest_sim_s" in r:
            line += (
                f" {r['nest_build_s']:10.1f} {r['nest_prepare_s']:6.2f} {r['nest_sim_per_bio_s']:8.2f} "
                f"{r['nest_peak_rss_mb']:7.0f} {r['nest_rate_e']:6.2f} {r['nest_rate_i']:6.2f} | "
            )
            line += (
                f"{r['speedup_sim']:10.2f}x {r['speedup_sim_cpu']:4.2f}x"
                if r["rates_match"]
                else f"rates differ (E {100 * r['rate_dev_e']:.0f} %, I {100 * r['rate_dev_i']:.0f} %): not compared"
            )
        else:
            line += " NEST skipped"
        print(line)


def plot(rows: list[dict], path: Path, mach: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = np.array([r["n_e"] for r in rows])
    has_nest = all(
        isinstance(r.get("nest_sim_per_bio_s"), float) and np.isfinite(r["nest_sim_per_bio_s"]) for r in rows
    )
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.6))
    ax.loglog(n, [r["b2_sim_per_bio_s"] for r in rows], "o-", label="spiking_direct (Brian2 cpp_standalone)")
    if has_nest:
        ax.loglog(n, [r["nest_sim_per_bio_s"] for r in rows], "s-", label="NEST 3.10")
        for x, r in zip(n, rows):
            if r.get("rates_match"):
                ax.annotate(
                    f"{r['speedup_sim']:.1f}x",
                    (x, np.sqrt(r["b2_sim_per_bio_s"] * r["nest_sim_per_bio_s"])),
                    ha="center",
                    fontsize=8,
                )
    ax.set_ylabel("simulate: wall seconds per simulated second")
    ax.set_title("simulation (median of repeats), one thread", fontsize=10)
    bx.loglog(n, [r["b2_compile_s"] for r in rows], "o--", color="C0", label="Brian2: code generation + compile")
    bx.loglog(n, [r["b2_setup_s"] for r in rows], "o:", color="C0", label="Brian2: connect/initialise (in binary)")
    if has_nest:
        bx.loglog(
            n,
            [r["nest_build_s"] + r["nest_prepare_s"] for r in rows],
            "s:",
            color="C1",
            label="NEST: create + connect + prepare",
        )
    bx.set_ylabel("wall seconds")
    bx.set_title("network construction", fontsize=10)
    for a in (ax, bx):
        a.set_xlabel("excitatory neurons N_E (N_I = N_E / 4, p = 0.05)")
        a.minorticks_off()
        a.set_xticks(n)
        a.set_xticklabels([str(x) for x in n])
        a.grid(True, which="major", alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle("E/I LIF network with E->E STDP, 2 s at dt = 0.1 ms", fontsize=11)
    fig.text(0.01, 0.01, mach[:120], fontsize=6)
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N_E = 4000 and 16000 only")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--repeats", type=int, default=3, help="binary runs (Brian2) / Run calls (NEST) per size")
    ap.add_argument("--profile", action="store_true", help="also profile our side (Brian2 profile=True)")
    ap.add_argument("--no-profile", action="store_true", help="never profile, even when the target is missed")
    ap.add_argument("--profile-only", action="store_true", help="only the profile of our side (no comparison)")
    ap.add_argument("--nu-ext", type=float, default=Net(4000).nu_ext, help="rate of each background source, Hz")
    ap.add_argument("--keep", action="store_true", help="keep the build folders")
    ap.add_argument("--replot", action="store_true", help="only redraw table and plot from the saved CSV")
    ap.add_argument("--page-only", action="store_true", help="rewrite the results page from the CSVs")
    ap.add_argument(
        "--no-noise",
        action="store_true",
        help="variant: no membrane noise in either simulator (sigma = 0, no NEST noise_generator)",
    )
    # worker mode (internal)
    ap.add_argument("--worker", choices=["brian2", "nest"], help=argparse.SUPPRESS)
    ap.add_argument("--n-e", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.page_only:
        page()
        return 0

    if args.worker:
        net = Net(args.n_e, nu_ext=args.nu_ext, noise=not args.no_noise)
        if args.worker == "brian2":
            res = brian2_worker(net, args.repeats, args.profile, args.workdir)
        else:
            res = nest_worker(net, args.repeats)
        args.json.write_text(json.dumps(res))
        return 0

    sizes = args.sizes or ([4000, 16000] if args.quick else [4000, 8000, 16000, 32000])
    suffix = ("_quick" if args.quick else "") + ("_nonoise" if args.no_noise else "")
    if args.replot:
        import pandas as pd

        rows = pd.read_csv(RESULTS / f"peer_nest{suffix}.csv").to_dict("records")
        print_table(rows, rows[0]["machine"])
        plot(rows, RESULTS / f"peer_nest{suffix}.png", rows[0]["machine"])
        return 0
    mach = machine()
    print(f"machine: {mach}")
    import importlib.util

    have_nest = importlib.util.find_spec("nest") is not None
    if not have_nest:
        print(
            "SKIP NEST: nest-simulator is not installed (pip install nest-simulator); "
            "timing our side only, no comparison"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="peer_nest_"))
    rows, runs = [], []
    try:
        for n_e in [] if args.profile_only else sizes:
            net = Net(n_e, nu_ext=args.nu_ext, noise=not args.no_noise)
            print(f"\nN_E = {n_e}: Brian2 cpp_standalone (compile + {args.repeats} runs) ...", flush=True)
            b2r = run_worker("brian2", n_e, args.repeats, False, tmp, args.nu_ext, not args.no_noise)
            if "error" in b2r:
                print(b2r["error"])
                return 1
            print(
                f"  compile {b2r['compile_s']:.1f} s; sim "
                + ", ".join(f"{r['sim_s']:.2f} s (cpu {r['sim_cpu_s']:.2f})" for r in b2r["runs"])
                + f"; load before {b2r['load1_before']:.2f} {b2r['busy_before']}",
                flush=True,
            )
            nr = None
            if have_nest:
                print(f"N_E = {n_e}: NEST (build + {args.repeats} x Run) ...", flush=True)
                nr = run_worker("nest", n_e, args.repeats, False, tmp, args.nu_ext, not args.no_noise)
                if "error" in nr or "skip" in nr:
                    print(f"SKIP NEST: {nr.get('error') or nr.get('skip')}")
                    nr = None
                else:
                    print(
                        f"  build {nr['build_s']:.1f} s, prepare {nr['prepare_s']:.1f} s; sim "
                        + ", ".join(f"{r['sim_s']:.2f} s (cpu {r['sim_cpu_s']:.2f})" for r in nr["runs"])
                        + f"; min_delay {nr['min_delay']} ms; load before {nr['load1_before']:.2f} "
                        f"{nr['busy_before']}",
                        flush=True,
                    )
            row = summarise(n_e, b2r, nr, net)
            row.update(
                {
                    "load1_before_b2": b2r["load1_before"],
                    "busy_before_b2": b2r["busy_before"],
                    "load1_before_nest": nr["load1_before"] if nr else None,
                    "busy_before_nest": nr["busy_before"] if nr else None,
                    "nu_ext_hz": args.nu_ext,
                    "noise": not args.no_noise,
                    "machine": mach,
                }
            )
            rows.append(row)
            for r in b2r["runs"]:
                runs.append({"simulator": "brian2", "n_e": n_e, **{k: v for k, v in r.items()}})
            for r in (nr or {}).get("runs", []):
                runs.append({"simulator": "nest", "n_e": n_e, **r})
            if nr is not None and not row["rates_match"]:
                print(
                    f"  RATES DIFFER: Brian2 E {row['b2_rate_e']:.2f} I {row['b2_rate_i']:.2f} Hz, "
                    f"NEST E {row['nest_rate_e']:.2f} I {row['nest_rate_i']:.2f} Hz: this size is not compared"
                )
            else:
                print(
                    f"  rates: Brian2 E {row['b2_rate_e']:.2f} I {row['b2_rate_i']:.2f} Hz"
                    + (f", NEST E {row['nest_rate_e']:.2f} I {row['nest_rate_i']:.2f} Hz" if nr else "")
                )

        import pandas as pd

        if rows:
            print_table(rows, mach)
            write_csv(RESULTS / f"peer_nest{suffix}.csv", pd.DataFrame(rows))
            write_csv(RESULTS / f"peer_nest{suffix}_runs.csv", pd.DataFrame(runs))
            plot(rows, RESULTS / f"peer_nest{suffix}.png", mach)
            print(f"wrote {RESULTS / f'peer_nest{suffix}.csv'}, ..._runs.csv and {RESULTS / f'peer_nest{suffix}.png'}")

        target = [r for r in rows if r["n_e"] == TARGET_N_E and r.get("rates_match")]
        missed = False
        if target:
            sp = target[0]["speedup_sim"]
            missed = sp < TARGET_SPEEDUP
            print(
                f"target (ours >= {TARGET_SPEEDUP:.0f}x faster than NEST per simulated second at N_E = "
                f"{TARGET_N_E}): {sp:.2f}x -> {'MISSED' if missed else 'met'}"
            )
        if (args.profile or args.profile_only or missed) and not args.no_profile:
            n_prof = TARGET_N_E if TARGET_N_E in sizes else sizes[-1]
            print(f"\nprofiling our side at N_E = {n_prof} (Brian2 profile=True, 1 run) ...", flush=True)
            pr = run_worker("brian2", n_prof, 1, True, tmp, args.nu_ext, not args.no_noise)
            if "error" in pr:
                print(pr["error"])
            else:
                total = sum(t for _, t in pr["profile"])
                prof_rows = [
                    {"n_e": n_prof, "code_object": name, "seconds": t, "fraction": t / total}
                    for name, t in pr["profile"]
                ]
                print(
                    f"time per code object (CPU s over 2 s biological time; profiled sim "
                    f"{pr['runs'][0]['sim_s']:.2f} s wall):"
                )
                for p in prof_rows:
                    print(f"  {p['code_object']:45s} {p['seconds']:8.3f} s  {100 * p['fraction']:5.1f} %")
                write_csv(RESULTS / f"peer_nest{suffix}_profile.csv", pd.DataFrame(prof_rows))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    if not suffix:
        page()
    return 0


def page() -> None:
    """``docs/results/peer_nest.rst`` from ``peer_nest.csv`` (and the no-noise run)."""
    import pandas as pd

    sys.path.insert(0, str(RESULTS.parent.parent / "experiments"))
    from _pages import Page, fmt, rng

    df = pd.read_csv(RESULTS / "peer_nest.csv")
    p = Page(
        "peer_nest",
        "Simulation core against NEST",
        command="python benchmarks/peer_nest.py",
        intro=(
            f"The same E/I network of LIF cells with pair STDP (connection probability {Net(4000).p}, "
            f"{Net(4000).T_ms / 1000:g} s of biological time, one thread each) in Brian2 ``cpp_standalone`` through this package's models and in NEST; rates "
            "matched within 20 % before timing (``rates_match``). What is identical between the two is listed "
            "in ``benchmarks/README.md``."
        ),
    )
    p.text(
        f"Simulate time per biological second: {rng(df.speedup_sim.min(), df.speedup_sim.max(), 1)} x faster than "
        f"NEST over N_E = {int(df.n_e.min())}-{int(df.n_e.max())}, the gap growing with N_E; rates matched in "
        f"{int(df.rates_match.sum())} of {len(df)} sizes; medians of {int(df.b2_repeats.min())} repeats."
    )
    p.table(
        df,
        "benchmarks/results/peer_nest.csv",
        columns={
            "n_e": "N_E",
            "b2_sim_per_bio_s": "ours (s / bio s)",
            "nest_sim_per_bio_s": "NEST (s / bio s)",
            "speedup_sim": "speed-up",
            "rates_match": "rates matched",
            "load1_before_b2": "load before",
        },
        formats={
            "b2_sim_per_bio_s": "{:.2f}",
            "nest_sim_per_bio_s": "{:.2f}",
            "speedup_sim": "{:.1f}x",
            "rates_match": lambda v: "yes" if v else "no",
            "load1_before_b2": "{:.1f}",
        },
    )
    nn = RESULTS / "peer_nest_nonoise.csv"
    if nn.exists():
        d = pd.read_csv(nn)
        p.text(
            "With membrane noise removed from both simulators: "
            + ", ".join(f"N_E = {int(r.n_e)}: {fmt(r.speedup_sim, 1)}x" for r in d.itertuples())
            + " (``benchmarks/results/peer_nest_nonoise.csv``; rates matched: "
            + ", ".join("yes" if r.rates_match else "no" for r in d.itertuples())
            + ")."
        )
    p.figure("benchmarks/results/peer_nest.png", "Simulate time per biological second against N_E.")
    p.write()


if __name__ == "__main__":
    raise SystemExit(main())
