"""The assembly discovery protocol with spiking cells on Brian2 (the rate engine: :func:`.assemblies.learn_rate`).

The same protocol as the rate engine (see :mod:`.assemblies`), on the same cell pattern: the
initial weights and the cells' activity are drawn from ``numpy.random.default_rng(seed)`` in the
rate engine's order, and every active (cell, step) becomes an input spike at the step's onset that
makes the LIF cell fire about 2 ms later (SD 0.5 ms, range 0.5-5 ms, from its membrane noise); Brian2's own
generator (the noise) is seeded from ``seed`` too. Cells and synapses are declared in
:mod:`models.discovery`.

Timing: data step ``m`` occupies ``[m S, (m + 1) S)``, its onset (the input spikes) is at
``m S + S / 2`` and the synapses update at the step boundaries, half a step after an onset.

The eligibility kernel: every cell carries ``x``, a box of its own spikes delayed by ``D = S / 2``
and one step long: ``K(lag) = 1`` for ``D <= lag < D + S``, 0 elsewhere (two delayed pathways of the
cell onto itself, +1 at ``D``, -1 at ``D + S``). Read by a postsynaptic spike of the next step
(lag ``S`` +- the jitter) it holds the presynaptic spike; of the same step (lag about 0) or the step
after next (about ``2 S``) it does not. Read at an update (``S / 2`` after the onset of step
``m``) it is the presynaptic cell's spike count of step ``m - 1``. Measured on this network
(hebbian rule, ``eta = 1``, no running mean, 120 cells firing independently with probability 0.3
for 2000 steps): the weight changes regressed on the pre/post co-occurrences at lags 0-3 give
lag 0 / lag 1 = 0.000 and lag 2 / lag 1 = 0.000, and the weights equal the lag-1 co-occurrence
counts (to 2e-7). It holds while the cells fire within ``S / 2`` of the onset and the spread of
their latencies is under ``S / 2``.

``hebbian``: at a postsynaptic spike (the first of its step) ``w += eta (x_pre - xbar_pre)``,
``xbar`` the presynaptic cell's running mean of its box, updated once per step (time constant
``tau_mean`` steps, started at ``p_background``), the rate engine's order to the step.

``predictive``: every presynaptic spike reaches its postsynaptic cells ``D`` later and adds its
weight to their dendritic prediction ``u`` (so ``u = sum_p w_pq x_p``, with the weights of the
last update: the events arrive after it); at each step boundary every synapse updates
``w = w (1 - eta_t decay) + eta_t / norm x_pre (s_post - (1 - eta_t decay) u_post)`` (the rate
engine's decay-then-error order), ``s_post`` the postsynaptic cell's spikes of the step (clipped
to 1), ``eta_t = eta t_half / (t_half + m)`` at the ``m``-th pair, and the cell's ``u`` and ``s``
are cleared. ``norm`` is the expected ``|x|^2``, ``k (n p_fire + (V - n) p_background)`` (one
value per variable presented), a constant, where the rate engine divides by the step's own
``|x|^2`` (a sum over every cell, which no synapse sees).

``plastic=False`` (the negative control): the same network with ``eta = 0``, under which no update
changes a weight (to the bit: ``w (1 - 0) + 0 = w``), so the control reuses the rule's build.

Devices: ``cpp_standalone`` (default) compiles one binary per network shape (rule, cells,
steps, step length) and re-runs it with each call's weights, pattern, parameters and seed
as run arguments; builds live in ``build_dir`` (reused across processes: a folder per shape,
locked while it is built) or in a temporary folder of the process. ``runtime``: Brian2's runtime
device with the numpy target (no compiler; slow beyond a few hundred steps). Measured on 2 shared
cores (``k = 10``, binary variables, predictive rule): a build takes 16-32 s; a run of the built
binary 0.1 / 0.2 / 0.6 s for 3 variables and 500 / 1000 / 3000 steps, 0.3 / 0.5 / 2.0 s for 10,
0.55 / 0.8 / 3.2 s for 20.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np

from ..brian_state import detach_from_magic, import_brian2, isolated
from ..errors import BackendError, ConfigError


def _protocol():
    """The rate engine's module (:mod:`.assemblies`): its parameters, cell pattern and readout.

    Looked up when called, not imported at the top: :func:`.assemblies.assembly_scores` imports this
    module for ``engine="spiking"``, and a static import back would be an import cycle of the two
    siblings (the package's import contract forbids it)."""
    return importlib.import_module(".assemblies", __package__)


__all__ = ["DEVICES", "learn_spiking", "build_folder"]

#: the Brian2 devices of :func:`learn_spiking`
DEVICES = ("cpp_standalone", "runtime")

#: the names of the network's objects (the standalone binary's run arguments and result files use them)
CELLS, SYN, ELIG, STIM = "dspk_cells", "dspk_syn", "dspk_elig", "dspk_stim"

#: the file in a build folder that describes the build (written last: its presence marks a finished build)
BUILD_INFO = "dspk_build.json"

_tmp_root: Path | None = None
_last_timing: dict = {}


def _step_ms(step, dt_ms: float) -> float:
    """``step`` (a Brian2 time or a float in ms) in ms, checked."""
    b2 = import_brian2()
    if isinstance(step, b2.Quantity):
        if step.dim != b2.second.dim:
            raise ConfigError(f"step must be a time (e.g. 20*ms) or a float in ms, got {step!r}")
        value = float(step / b2.ms)
    elif isinstance(step, (int, float, np.integer, np.floating)) and not isinstance(step, bool):
        value = float(step)
    else:
        raise ConfigError(f"step must be a time (e.g. 20*ms) or a float in ms, got {step!r}")
    if not 16.0 <= value <= 1000.0:
        raise ConfigError(
            f"step must be between 16 and 1000 ms (the cells fire within about 5 ms of the onset), got {value} ms"
        )
    half = value / 2 / dt_ms
    if abs(half - round(half)) > 1e-6:
        raise ConfigError(f"step must be a multiple of 2 dt ({2 * dt_ms} ms), got {value} ms")
    return value


def _shape_key(rule: str, N: int, T: int, step_ms: float) -> str:
    """The folder name of a build: the shape, and a digest of the model (cell parameters, equations,
    code, Brian2's version), so that a build folder made by another version of the model is not reused."""
    from ..models import discovery as model

    (cell_eqs, *cell_code), (syn_eqs, *syn_code) = model.discovery_cell_model(), model.discovery_synapse_model(rule)
    text = repr(
        (
            model.DiscoveryCellParams(),
            str(cell_eqs),
            cell_code,
            str(syn_eqs),
            syn_code,
            model.eligibility_pathways(),
            model.CELL_BOUNDARY,
            model.INPUT_KICK,
            model.NOISE_UPDATE,
            import_brian2().__version__,
        )
    )
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return f"dspk-{rule}-N{N}-T{T}-S{step_ms:g}-{digest}"


def _network(N: int, T: int, rule: str, step_ms: float, stim_values: np.ndarray):
    """The Brian2 objects of the protocol (on the active device) and their namespace."""
    import brian2 as b2

    from ..models.discovery import (
        CELL_BOUNDARY,
        INPUT_KICK,
        NOISE_UPDATE,
        DiscoveryCellParams,
        discovery_cell_model,
        discovery_synapse_model,
        eligibility_pathways,
    )

    cp = DiscoveryCellParams()
    S = step_ms * b2.ms
    b2.defaultclock.dt = cp.dt
    stim = b2.TimedArray(stim_values, dt=S / 2, name=STIM)
    ns = {**cp.namespace(), "step": S, "stim": stim}
    eqs, threshold, reset = discovery_cell_model()
    cells = b2.NeuronGroup(
        N, eqs, threshold=threshold, reset=reset, refractory="t_ref", method="euler", name=CELLS, namespace=ns
    )
    cells.run_regularly(INPUT_KICK, dt=S / 2, when="start", name=f"{CELLS}_kick")
    cells.run_regularly(NOISE_UPDATE, dt=cp.noise_dt, when="start", name=f"{CELLS}_noise")
    cells.run_regularly(CELL_BOUNDARY, dt=S, when="start", order=1, name=f"{CELLS}_boundary")
    elig = b2.Synapses(
        cells,
        cells,
        on_pre=eligibility_pathways(),
        delay={"arrive": S / 2, "leave": S / 2 + S},
        name=ELIG,
        namespace=ns,
    )
    elig.connect(j="i")
    model, pathways, update = discovery_synapse_model(rule)
    kw = dict(pathways)
    if "on_pre" in kw:
        kw["delay"] = S / 2
    syn = b2.Synapses(cells, cells, model, name=SYN, namespace=ns, **kw)
    syn.connect()
    if update is not None:
        syn.run_regularly(update, dt=S, when="start", order=0, name=f"{SYN}_update")
    net = b2.Network(cells, elig, syn)
    return net, cells, syn, stim, (T * step_ms + float(cp.dt / b2.ms)) * b2.ms


def _stim_rows(S_cells: np.ndarray) -> np.ndarray:
    """The pattern ``(T, N)`` as the half-step TimedArray: row ``2 m + 1`` is step ``m``'s onset."""
    T, N = S_cells.shape
    rows = np.zeros((2 * T + 2, N), dtype=np.float64)
    rows[1 : 2 * T : 2] = S_cells
    return rows


def _shared_values(enc, params) -> dict[str, float]:
    n, V, k = len(enc.variables), enc.n_values, params.k
    norm = k * (n * params.p_fire + (V - n) * params.p_background)
    return {
        f"{SYN}.eta": float(params.eta) if params.plastic else 0.0,
        f"{SYN}.decay": float(params.decay),
        f"{SYN}.t_half": 1e30 if params.t_half is None else float(params.t_half),
        f"{SYN}.norm": float(max(norm, 1e-12)),
        f"{CELLS}.tau_mean": float(params.tau_mean),
        f"{CELLS}.xbar": float(params.p_background),  # the running mean starts at p_background (the rate engine's)
    }


def learn_spiking(
    enc,
    rule: str = "predictive",
    params=None,
    seed: int = 0,
    *,
    step=20.0,
    device: str = "cpp_standalone",
    build_dir=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the protocol with spiking cells: ``(W, rates)`` as :func:`.assemblies.learn_rate` returns them
    (value-level weights ``(V, V)``, cell weights averaged over each pair of assemblies; the fraction of
    steps in which an assembly's cells fired). ``step``: the length of a data step (a Brian2 time or
    ms); ``device``: ``cpp_standalone`` or ``runtime``; ``build_dir``: where standalone builds go (one
    folder per network shape, reused; default a temporary folder of the process). The user's Brian2
    device, preferences, clock and scope are as before afterwards. ``enc``: an
    :class:`.assemblies.Encoding`; ``params``: :class:`.assemblies.DiscoveryParams` (default: its defaults)."""
    protocol = _protocol()
    protocol._check_rule(rule)
    from ..models.discovery import DiscoveryCellParams

    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)}")
    params = params or protocol.DiscoveryParams()
    dt_ms = float(DiscoveryCellParams().dt / import_brian2().ms)
    step_ms = _step_ms(step, dt_ms)
    rng = np.random.default_rng(seed)
    V, k = enc.n_values, params.k
    N = V * k
    W0 = rng.normal(0.0, params.w0_sd, size=(N, N)).astype(np.float64)
    S_cells = protocol.cell_activity(enc.onehot(), params, rng)
    T = S_cells.shape[0]
    shared = _shared_values(enc, params)
    t0 = time.perf_counter()
    if device == "runtime":
        Wc, fired = _run_runtime(W0, S_cells, rule, step_ms, shared, seed)
    else:
        Wc, fired = _run_standalone(W0, S_cells, rule, step_ms, shared, seed, build_dir)
    _last_timing["total_s"] = time.perf_counter() - t0
    rates = fired.reshape(V, k).mean(axis=1) / T
    return protocol._to_values(Wc, V, k), rates


def _run_runtime(W0, S_cells, rule, step_ms, shared, seed):
    with isolated():
        import brian2 as b2

        from ..engines.backends import _reset_device

        _reset_device("runtime")
        b2.prefs.codegen.target = "numpy"
        b2.seed(int(seed))
        T, N = S_cells.shape
        net, cells, syn, _, duration = _network(N, T, rule, step_ms, _stim_rows(S_cells))
        try:
            syn.w = W0[np.asarray(syn.i[:]), np.asarray(syn.j[:])]
            for name, value in shared.items():
                group = cells if name.startswith(CELLS) else syn
                setattr(group, name.split(".")[1], value)
            net.run(duration)
            Wc = np.zeros((N, N))
            Wc[np.asarray(syn.i[:]), np.asarray(syn.j[:])] = np.asarray(syn.w[:])
            return Wc, np.asarray(cells.fired[:], dtype=float)
        finally:
            detach_from_magic(net.objects)


def build_folder(build_dir=None) -> Path:
    """The folder that holds the standalone builds (``build_dir``, else a temporary folder of this process)."""
    global _tmp_root
    if build_dir is not None:
        path = Path(build_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path
    if _tmp_root is None or not _tmp_root.is_dir():
        from ..engines.backends import owned_tempdir

        _tmp_root = owned_tempdir("spiking_direct_dspk_")
    return _tmp_root


def _build(folder: Path, rule, N, T, step_ms) -> dict:
    """Generate and compile the network of one shape into ``folder``; returns its description."""
    with isolated():
        import brian2 as b2

        from ..engines.backends import CppStandaloneBackend, _reset_device, check_compiler, make_jobs

        try:
            check_compiler()
        except Exception as exc:
            raise BackendError(str(exc)) from None
        _reset_device("cpp_standalone", build_on_run=False, directory=str(folder))
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{make_jobs()}"]
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
        net, cells, syn, stim, duration = _network(N, T, rule, step_ms, np.zeros((2 * T + 2, N)))
        try:
            CppStandaloneBackend.insert_seed_code(b2.device)
            net.run(duration)
            try:
                b2.device.build(directory=str(folder), compile=True, run=False, with_output=False)
            except Exception as exc:
                raise BackendError(f"cpp_standalone build failed in {folder}: {exc}") from exc
            dev = b2.device
            files = {
                "w": dev.get_array_filename(syn.variables["w"]),
                "i": dev.get_array_filename(syn.variables["_synaptic_pre"]),
                "j": dev.get_array_filename(syn.variables["_synaptic_post"]),
                "fired": dev.get_array_filename(cells.variables["fired"]),
            }
            info = {"files": files, "stim_shape": list(stim.values.shape), "n_cells": N, "n_steps": T}
        finally:
            detach_from_magic(net.objects)
            b2.device.reinit()
    (folder / BUILD_INFO).write_text(json.dumps(info))
    return info


def _ensure_build(root: Path, rule, N, T, step_ms) -> tuple[Path, dict]:
    folder = root / _shape_key(rule, N, T, step_ms)
    info_file = folder / BUILD_INFO
    if info_file.exists() and (folder / "main").exists():
        return folder, json.loads(info_file.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    with open(root / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process building the same shape: wait for it
        if info_file.exists() and (folder / "main").exists():
            return folder, json.loads(info_file.read_text())
        t0 = time.perf_counter()
        info = _build(folder, rule, N, T, step_ms)
        _last_timing["build_s"] = time.perf_counter() - t0
        return folder, info


def _run_standalone(W0, S_cells, rule, step_ms, shared, seed, build_dir):
    from ..settings import SEED_VARIABLE

    T, N = S_cells.shape
    _last_timing["build_s"] = 0.0
    folder, info = _ensure_build(build_folder(build_dir), rule, N, T, step_ms)
    tag = uuid.uuid4().hex[:12]
    static = folder / "static_arrays"
    static.mkdir(exist_ok=True)
    results = folder / f"results_{tag}"
    results.mkdir()
    # the synapses are created pre-major, post-minor (all-to-all): their weights in that order, checked below
    w_file = static / f"dspk_w_{tag}.dat"
    stim_file = static / f"dspk_stim_{tag}.dat"
    W0.astype(np.float64).tofile(w_file)
    stim = _stim_rows(S_cells)
    if list(stim.shape) != info["stim_shape"]:
        raise BackendError(f"build {folder} expects a pattern of shape {info['stim_shape']}, got {list(stim.shape)}")
    stim.tofile(stim_file)
    args = ["./main", "--results_dir", str(results) + os.sep]
    args += [f"{SYN}.w=static_arrays/{w_file.name}", f"{STIM}.values=static_arrays/{stim_file.name}"]
    args += [f"{name}={value!r}" for name, value in shared.items()]
    env = {**os.environ, SEED_VARIABLE: str(int(seed))}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or "Error reading" in proc.stderr:
            raise BackendError(f"the discovery binary in {folder} failed: {proc.stderr.strip()[-500:]}")
        _last_timing["run_s"] = time.perf_counter() - t0
        files = info["files"]
        w = np.fromfile(results / files["w"], dtype=np.float64)
        i = np.fromfile(results / files["i"], dtype=np.int32)
        j = np.fromfile(results / files["j"], dtype=np.int32)
        fired = np.fromfile(results / files["fired"], dtype=np.float64)
    finally:
        shutil.rmtree(results, ignore_errors=True)
        for f in (w_file, stim_file):
            f.unlink(missing_ok=True)
    if w.size != N * N or not (
        np.array_equal(i, np.repeat(np.arange(N), N)) and np.array_equal(j, np.tile(np.arange(N), N))
    ):
        raise BackendError(f"the discovery binary in {folder} returned {w.size} synapses out of order")
    return w.reshape(N, N), fired
