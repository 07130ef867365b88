"""Backends of the spiking engine, chosen by name (like Brian2's device registry).

``runtime``
    Brian2's runtime device with the ``numpy`` code-generation target (the
    ``cython`` target of Brian2 2.8.0 fails with numpy 2.x). No compiler
    needed; for small networks and tests.
``cpp_standalone``
    C++ code generated and compiled once per network shape; every run after
    the first re-runs the binary with new ``run_args`` (seed, protocol). The
    neuron groups' thresholders use this package's block template
    (:func:`block_threshold_codeobject`); every other template is Brian2's.
``cuda_standalone``
    the same through brian2cuda (imported only when this backend is asked for).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from .. import settings
from ..brian_state import activate, isolated
from ..errors import BackendError
from . import parts
from . import progress as progress_report

_REGISTRY: dict[str, type] = {}


class Backend(ABC):
    """A Brian2 device the spiking engine runs on, registered by name with :func:`register`
    (as Brian2 registers its devices). One instance per process (:func:`get`) holds its build."""

    name: str = ""

    @abstractmethod
    def check(self) -> None:
        """Raise :class:`BackendError` when this machine cannot use the backend (no compiler ...)."""

    def build(self, params, n_areas, n_windows, set_area, **kwargs):
        """Generate (and compile) the network ahead of a run; returns its folder, or None when the
        backend builds nothing ahead (runtime)."""
        return None

    @abstractmethod
    def run(self, protocol, n_sets, set_area, params, seed, progress=None, values=None, monitors=None, allowed=None):
        """Run ``protocol`` on the network with ``seed``; returns a :class:`~spiking_direct.recording.Recording`.
        The user's Brian2 device, preferences and scope are as before afterwards."""


def register(name):
    """Class decorator: register a :class:`Backend` subclass under ``name``."""

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise TypeError(f"backend {name!r}: {cls!r} is not a subclass of Backend")
        _REGISTRY[name] = cls
        cls.name = name
        return cls

    return deco


def names() -> list[str]:
    """The names of the registered backends."""
    return sorted(_REGISTRY)


_instances: dict[str, object] = {}


def get(name: str):
    """The backend called ``name`` (one instance per process, holding its build)."""
    if name not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose from {names()}")
    if name not in _instances:
        _instances[name] = _REGISTRY[name]()
    return _instances[name]


def profiling() -> bool:
    """Whether standalone networks are built with Brian2's per-code-object profile
    (setting ``profile``); each run then reports ``info["profile_s"]`` (seconds per code object)."""
    return bool(settings.profile)


def make_jobs() -> int:
    """Parallel compile jobs (setting ``make_jobs``: the number of cores unless set;
    local sweeps set it to cores / workers so that workers compiling at once do not oversubscribe)."""
    return int(settings.make_jobs)


def check_compiler() -> str:
    """Path of the C++ compiler Brian2 will use, or a BackendError."""
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx) or (shutil.which("c++") if "CXX" not in os.environ else None)
    if path is None:
        raise BackendError(f"no C++ compiler found ({cxx!r} is not on PATH); install g++ or use --backend runtime")
    if shutil.which("make") is None:
        raise BackendError("'make' is not on PATH; the cpp_standalone backend needs it")
    return path


@register("runtime")
class RuntimeBackend(Backend):
    """Brian2's runtime device (numpy target): nothing to compile."""

    def check(self):
        """Nothing to check: the runtime device needs no compiler."""

    def run(self, protocol, n_sets, set_area, params, seed, progress=None, values=None, monitors=None, allowed=None):
        """Run ``protocol`` on Brian2's runtime device (see :meth:`Backend.run`); the user's Brian2 state is as before
        afterwards."""
        with isolated():
            return self._run(protocol, n_sets, set_area, params, seed, progress, values, monitors, allowed)

    def _run(self, protocol, n_sets, set_area, params, seed, progress, values, monitors, allowed):
        import brian2 as b2

        from .network import build_network, timed_values, to_recording

        _reset_device("runtime")
        b2.prefs.codegen.target = "numpy"
        b2.seed(int(seed))
        t0 = time.perf_counter()
        values = values if values is not None else timed_values(protocol, n_sets, set_area)
        network = build_network(
            params, protocol.n_areas, protocol.n_windows, set_area, values, monitors=monitors, allowed=allowed
        )
        t1 = time.perf_counter()
        duration = protocol.n_windows * params.clock.T_win
        report = progress_report.reporter(progress)
        try:
            network.net.run(duration, report=report, report_period=progress_report.period(progress) * b2.second)
        finally:
            if report is not None:
                report.close()
        t2 = time.perf_counter()
        return to_recording(
            network,
            protocol,
            {"build_s": t1 - t0, "simulate_s": t2 - t1},
            {"backend": "runtime", "n_synapses_ee": int(len(network.syn_ee))},
        )


def _reset_device(name: str, build_on_run: bool = True, **kwargs):
    """Select Brian2 device ``name`` with a fresh state (forgets earlier builds), in a new
    magic-network scope. Call inside :func:`~spiking_direct.brian_state.isolated`, which
    puts the user's device, preferences and scope back afterwards."""
    import brian2 as b2
    from brian2.devices.device import all_devices

    if name == "cuda_standalone":
        import brian2cuda  # noqa: F401  (registers the device)
    all_devices[name].reinit()
    activate(all_devices[name], build_on_run, **kwargs)
    b2.start_scope()


# --------------------------------------------------------------------------
# Temporary folders: removed at exit, and by a later process when a killed one left them
# --------------------------------------------------------------------------
OWNER_LOCK = ".spiking_direct_owner.lock"
_owned: dict[Path, tuple[int, int]] = {}  # folder -> (descriptor holding its lock, owner's pid)


def owned_tempdir(prefix: str, dir: Path | None = None) -> Path:
    """A new temporary folder that this process owns for its lifetime: it holds an
    exclusive ``flock`` on a lock file inside, released by the kernel when the
    process ends however it ends (a crash or ``kill -9`` too). The folder is
    removed by :func:`remove_owned` or at a normal exit; :func:`sweep_stale`
    removes the folders whose owner is gone. A lock, not a process id, says
    whether the owner lives: it holds across PID namespaces (containers sharing
    ``/tmp``) and survives PID reuse."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=dir))
    fd = os.open(folder / OWNER_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _owned[folder] = (fd, os.getpid())
    return folder


def remove_owned(folder: Path) -> None:
    """Delete a folder of :func:`owned_tempdir` and release its lock."""
    shutil.rmtree(folder, ignore_errors=True)
    fd, _ = _owned.pop(Path(folder), (None, None))
    if fd is not None:
        os.close(fd)


@atexit.register
def _remove_all_owned() -> None:
    # only the creating process: a forked child that exits must not take its parent's folders
    for folder, (_, pid) in list(_owned.items()):
        if pid == os.getpid():
            remove_owned(folder)


def sweep_stale(root: Path, prefix: str) -> list[Path]:
    """Remove the folders ``root/prefix*`` made by :func:`owned_tempdir` whose owning
    process has ended (their lock can be taken); returns them. Folders without the
    lock file (someone else's, or being created right now) are left alone."""
    removed = []
    try:
        candidates = [p for p in Path(root).glob(f"{prefix}*") if p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    for folder in candidates:
        try:
            fd = os.open(folder / OWNER_LOCK, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: the owner is alive
            os.close(fd)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
        removed.append(folder)
    return removed


#: a standalone run writes its results (mostly the inter-area synapses) to a folder that is
#: read back once and deleted; on a memory file system (setting ``scratch``) when one has room for it
RESULTS_PREFIX = "spiking_direct_results_"
_swept: set[Path] = set()  # scratch roots already swept of stale folders by this process


#: bytes the simulation binary holds per inter-area synapse (pre, post, weight and the two spike
#: queues; see :mod:`spiking_direct.memory`)
BINARY_BYTES_PER_SYNAPSE = 23


def _results_in_memory(link: Path, size: int, beside: int = 0) -> Path | None:
    """Make ``link`` (a run's results folder) a symbolic link to a fresh folder on
    the setting ``scratch`` (default ``/dev/shm``) and return that folder; None (write
    into the build folder) when there is no such file system, it has less than
    twice the expected result ``size`` (bytes) plus 256 MiB free, or the memory still
    available (:func:`spiking_direct.memory.available_memory`) does not hold that
    beside ``beside``, what the run itself is still to take (the binary's memory):
    files in ``/dev/shm`` are memory, and a scratch that does not fit beside the run
    would push it out.

    On the benchmark machine writing the Alzheimer results (222 MB) into the
    build folder took 0.37-0.50 s of a 3.7 s run, into ``/dev/shm`` 0.09 s.
    Set ``scratch`` to none (``SPIKING_DIRECT_SCRATCH=none``) to keep results in the build folder.
    """
    root = settings.scratch
    if root is None:
        return None
    try:
        if not root.is_dir() or not os.access(root, os.W_OK):
            return None
        if shutil.disk_usage(root).free < 2 * size + (256 << 20):
            return None
        from ..memory import available_memory

        if available_memory() < beside + 2 * size + (256 << 20):
            return None
        if root not in _swept:  # scratch folders of killed processes hold memory; look once per process
            sweep_stale(root, RESULTS_PREFIX)
            _swept.add(root)
        scratch = owned_tempdir(RESULTS_PREFIX, dir=root)  # removed at exit, also after a failed run
    except OSError:
        return None
    link.symlink_to(scratch, target_is_directory=True)
    return scratch


def monitor_key(monitors: dict | None) -> str:
    """The part of a build's folder name that the state monitors fix: a short hash (a list of
    hundreds of recorded cells would make the folder name longer than the file system allows)."""
    return f"-{hashlib.sha1(repr(monitors).encode()).hexdigest()[:12]}" if monitors else ""


def expected_synapses(params, n_areas: int, allowed=None) -> float:
    """Mean number of inter-area synapses of a network: ordered pairs of areas x n^2 x p_inter."""
    pairs = n_areas * (n_areas - 1) if allowed is None else int(np.sum(allowed))
    return pairs * params.n**2 * params.stdp.p_inter


#: GCC vectorises a loop over several arrays only after run-time checks that they do not
#: overlap, and gives up beyond 10 checks (its default). Brian2's generated loops copy the
#: global arrays into local ``__restrict`` pointers, which GCC does not take as a promise, so
#: the excitatory state update (six arrays; more than 16 checks) stayed scalar. Raising the limit
#: vectorises it: the Alzheimer binary's results are identical to the bit and its run took
#: 2.55 s instead of 2.95 s (recorded in ``CHANGELOG.md``). Clang ignores the option (with a
#: warning, which Brian2's ``-w`` silences).
VECTORIZE_FLAG = "--param=vect-max-version-for-alias-checks=64"


_block_threshold_class = None


def block_threshold_codeobject():
    """A ``CPPStandaloneCodeObject`` whose thresholders use this package's
    ``templates/threshold.cpp``: Brian2's template with the loop split per
    block of 256 cells into a condition pass (vectorised where the condition
    has no side effects) and a compaction of the blocks in which a cell
    crossed. Same events in the same order, same random draws: the results
    are identical to the bit. Every other template is Brian2's (the
    templater is derived, as brian2cuda derives its own). Why: Brian2's
    compaction loop is scalar, and the excitatory group runs two of them per
    step (``spike`` and ``learn``) over every cell; on the Alzheimer default
    they were 0.62 s of a 2.9 s run (Brian2's profiling, recorded in ``CHANGELOG.md``)."""
    global _block_threshold_class
    if _block_threshold_class is None:
        from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

        class BlockThresholdCodeObject(CPPStandaloneCodeObject):
            templater = CPPStandaloneCodeObject.templater.derive("spiking_direct.engines")

        _block_threshold_class = BlockThresholdCodeObject
    return _block_threshold_class


def spike_driven_event(group, event: str) -> None:
    """Let the thresholder of ``group``'s custom ``event`` test only the cells that spiked in this
    step (``templates/spike_event_threshold.cpp``) instead of every cell: exact for a condition
    that starts with ``lastspike == t and`` (only a cell that has just spiked can satisfy it; the
    custom event is checked after the spike thresholder of the same step). For the excitatory
    ``learn`` event: 0.21 s of Brian2's profile of a second Alzheimer seed to almost nothing.
    Raises ``ValueError`` for any other condition. cpp_standalone only (with
    :func:`block_threshold_codeobject`, whose templater holds the template)."""
    cond = group.events.get(event)
    if cond is None:
        raise ValueError(f"{group.name} has no custom event {event!r}")
    if not str(cond).replace(" ", "").startswith("lastspike==tand"):
        raise ValueError(
            f"the {event!r} condition {cond!r} does not start with 'lastspike == t and': "
            "it may hold for cells that did not spike in this step"
        )
    if "lastspike" not in group.variables:
        raise ValueError(f"{group.name} has no refractoriness, hence no lastspike")
    if group.codeobj_class is not block_threshold_codeobject():
        raise ValueError(
            f"{group.name} must be created with codeobj_class=block_threshold_codeobject(), "
            "whose templater holds the spike-driven template"
        )
    thr = group.thresholder[event]
    # the spike thresholder must have run in this step: Brian2's default slots (custom events after it)
    if (group.thresholder["spike"].when, thr.when) != ("thresholds", "after_thresholds"):
        raise ValueError(
            f"the {event!r} thresholder must run in the 'after_thresholds' slot and the "
            "spike thresholder in 'thresholds' (Brian2's defaults)"
        )
    thr.template = "spike_event_threshold"
    thr.needed_variables = list(thr.needed_variables) + ["_spikespace"]
    thr.template_kwds = {**thr.template_kwds, "spikespace_variable": group.variables["_spikespace"]}


@register("cpp_standalone")
class CppStandaloneBackend(Backend):
    """Compile once per network shape, run many times with ``run_args``."""

    device_name = "cpp_standalone"
    own_spike_queue = True  # builds compile with templates/spikequeue.h (see patch_sources)

    def __init__(self):
        self.key = None
        self.network = None
        self.directory = None
        self.build_s = None
        self._token = None  # the device's code-object table of our build (identifies it)
        self.reporting = False  # whether the build holds the progress reporter
        prefix = f"spiking_direct_{self.device_name}_"
        sweep_stale(Path(tempfile.gettempdir()), prefix)  # builds of processes that were killed
        self._tmp_root = owned_tempdir(prefix)

    def prepare_prefs(self):
        """Set the Brian2 preferences of a build (make jobs, no OpenMP, the vectorising compiler flag)."""
        import brian2 as b2

        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{make_jobs()}"]
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
        args = [a for a in b2.prefs.codegen.cpp.extra_compile_args_gcc if a != VECTORIZE_FLAG]
        b2.prefs.codegen.cpp.extra_compile_args_gcc = args + [VECTORIZE_FLAG]

    def check(self):
        """Check that a C++ compiler and ``make`` are available, before any code generation."""
        check_compiler()

    def codeobj_class(self):
        """Code-object class of the network's neuron groups (see :func:`block_threshold_codeobject`)."""
        return block_threshold_codeobject()

    def add_progress_reporter(self, net, n_windows, T_win):
        """Add the progress cell of :func:`~spiking_direct.engines.progress.add_reporter` to ``net``
        (returned; None when :data:`~spiking_direct.engines.progress.TICKS` is 0)."""
        return progress_report.add_reporter(net, n_windows, T_win)

    @staticmethod
    def insert_seed_code(device, default_seed=None):
        """Reseed the binary's generators at start from ``$SPIKING_DIRECT_SEED``
        (or from ``default_seed`` when the variable is unset)."""
        from .network import SEED_ENV

        fallback = f"{int(default_seed)}UL" if default_seed is not None else None
        get = f'const char* _s = std::getenv("{SEED_ENV}");'
        cond = "if (_s || true)" if fallback else "if (_s)"
        value = f"(_s ? std::stoul(_s) : {fallback})" if fallback else "std::stoul(_s)"
        device.insert_code(
            "after_start",
            f"{{ {get} {cond} {{ unsigned long _sd = {value};"
            " for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)"
            " brian::_random_generators[_i].seed(_sd + _i); } }",
        )

    @staticmethod
    def patch_sources(directory) -> None:
        """Replace Brian2's spike queue in the generated project by ``templates/spikequeue.h``: the
        same queue with each pathway's synapses per source cell in one compressed array (none at
        all for a pathway stored in the order of its sources) instead of one vector per cell,
        which Brian2 grows by doubling. The same spikes reach the same synapses in the same
        order, so a run is the same to the bit. A pathway stored otherwise (the post pathway of
        plastic synapses) holds its ids, 4 bytes each, and from ``memory.CODED_IDS_MIN`` synapses
        on Elias-Fano coded, about ``2 + log2(M / m)`` bits for a cell with ``m`` of the pathway's
        ``M`` synapses: the two pathways of the plastic inter-area synapses take 4 bytes per
        synapse, about 2 in the largest networks, instead of 8-10."""
        source = Path(__file__).parent / "templates" / "spikequeue.h"
        shutil.copyfile(source, Path(directory) / "brianlib" / "spikequeue.h")

    @staticmethod
    def insert_reserve_code(device, params, n_areas, allowed=None):
        """Reserve the inter-area synapse arrays for the expected number of synapses
        (mean + 6 sd) before the binary creates them: without it each array grows by
        doubling, copying and touching twice its final size (0.11 s of a 3.3 s
        Alzheimer run on the benchmark machine). More synapses than reserved still work.

        The reserved arrays are advised to transparent huge pages (``madvise``,
        Linux; a no-op elsewhere or where THP is off). Potentiation reads them at
        random, one page per synapse (the incoming synapses of a cell lie 7 kB
        apart), so with 4 kB pages nearly every read also misses the TLB. On an
        Intel VM (THP ``madvise`` mode) a second Alzheimer seed went
        from 3.64-3.85 s to 3.18-3.69 s (alternating runs of one binary, same
        weights to the bit); on an AMD machine the same advice had
        not changed the loop."""
        mean = expected_synapses(params, n_areas, allowed)
        size = int(mean + 6 * np.sqrt(mean) + 16)
        names = ("_synaptic_pre", "_synaptic_post", "w")
        if "<sys/mman.h>" not in device.headers:
            device.headers.append("<sys/mman.h>")
        code = [f"brian::_dynamic_array_syn_ee_{name}.reserve({size});" for name in names]
        code.append("#ifdef MADV_HUGEPAGE")
        for name in names:
            arr = f"brian::_dynamic_array_syn_ee_{name}"
            code.append(
                f"{{ const uintptr_t _b = (uintptr_t){arr}.data(), _h = 1UL << 21;"
                f" const uintptr_t _lo = (_b + _h - 1) & ~(_h - 1),"
                f" _hi = (_b + {arr}.capacity() * sizeof(*{arr}.data())) & ~(_h - 1);"
                f" if (_hi > _lo) madvise((void*)_lo, _hi - _lo, MADV_HUGEPAGE); }}"
            )
        code.append("#endif")
        device.insert_code("after_start", "\n".join(code))

    def build(self, params, n_areas, n_windows, set_area, **kwargs):
        """Generate (and compile) the network; returns the build folder.

        ``values`` bakes a protocol into the build's TimedArrays and
        ``default_seed`` the seed used when ``$SPIKING_DIRECT_SEED`` is unset:
        an exported build then runs its protocol with plain ``./main``.
        Keywords: ``directory``, ``progress``, ``monitors``, ``values``, ``default_seed``,
        ``compile`` (default True) and ``allowed`` (the connected pairs of areas).
        The user's Brian2 device, preferences and scope are as before afterwards.
        """
        with isolated():
            return self._build(params, n_areas, n_windows, set_area, **kwargs)

    def _device(self):
        """This backend's Brian2 device object (None before brian2cuda registered it)."""
        from brian2.devices.device import all_devices

        return all_devices.get(self.device_name)

    def holds_build(self) -> bool:
        """Whether the Brian2 device still holds this backend's last build (nobody reinitialised it)."""
        dev = self._device()
        return self.network is not None and dev is not None and getattr(dev, "code_objects", None) is self._token

    def _build(
        self,
        params,
        n_areas,
        n_windows,
        set_area,
        directory=None,
        progress=None,
        monitors=None,
        values=None,
        default_seed=None,
        compile=True,
        allowed=None,
        shapes=None,
    ):
        import brian2 as b2

        from .network import build_network, shape_key

        self.check()
        if values is not None:
            shapes = parts.layout(values)
        key = (
            shape_key(params, n_areas, n_windows, set_area, self.device_name, allowed)
            + ("" if shapes is None else "-pairs" + "x".join(str(d) for v in shapes.values() for d in v))
            + monitor_key(monitors)
            + ("-profile" if profiling() else "")
            + ("" if progress_report.TICKS == progress_report.DEFAULT_TICKS else f"-ticks{progress_report.TICKS}")
        )
        if directory is None and values is None and key == self.key and self.holds_build():
            activate(self._device(), False, directory=str(self.directory))  # the cached build: no recompiling
            self.prepare_prefs()
            return self.directory
        directory = Path(directory) if directory is not None else self._tmp_root / key
        directory.mkdir(parents=True, exist_ok=True)
        if progress:
            progress(f"building {self.device_name} network in {directory} (compiled once per network shape)")
        t0 = time.perf_counter()
        _reset_device(self.device_name, build_on_run=False, directory=str(directory))
        self.prepare_prefs()
        codeobj_class = self.codeobj_class()
        network = build_network(
            params,
            n_areas,
            n_windows,
            set_area,
            values=values,
            monitors=monitors,
            allowed=allowed,
            codeobj_class=codeobj_class,
            shapes=shapes,
        )
        if codeobj_class is not None and "learn" in network.exc.events:
            spike_driven_event(network.exc, "learn")  # our templater: the learn event tests only this step's spikes
        reporting = self.add_progress_reporter(network.net, n_windows, params.clock.T_win) is not None
        self.insert_seed_code(b2.device, default_seed)
        self.insert_reserve_code(b2.device, params, n_areas, allowed)
        network.net.run(n_windows * params.clock.T_win, profile=profiling())
        try:
            if self.own_spike_queue:
                b2.device.build(directory=str(directory), compile=False, run=False, with_output=False)
                self.patch_sources(directory)
                if compile:
                    from brian2.codegen.cpp_prefs import get_compiler_and_args

                    b2.device.compile_source(str(directory), get_compiler_and_args()[0], False, False)
            else:
                b2.device.build(directory=str(directory), compile=compile, run=False, with_output=False)
        except Exception as exc:  # compilation failed
            raise BackendError(f"{self.device_name} build failed in {directory}: {exc}") from exc
        self.build_s = time.perf_counter() - t0
        self.key, self.network, self.directory = key, network, directory
        self.reporting = reporting
        self._token = self._device().code_objects
        return directory

    def run(self, protocol, n_sets, set_area, params, seed, progress=None, values=None, monitors=None, allowed=None):
        """Run ``protocol`` (or, for experiments that drive input sets directly,
        the TimedArray ``values``) with ``seed``; ``monitors`` adds state
        monitors (see :func:`~spiking_direct.engines.spiking.build_network`).
        The user's Brian2 device, preferences and scope are as before afterwards."""
        with isolated():
            return self._run(protocol, n_sets, set_area, params, seed, progress, values, monitors, allowed)

    def _run(self, protocol, n_sets, set_area, params, seed, progress, values, monitors, allowed):
        import brian2 as b2

        from .network import SEED_ENV, standalone_reader, timed_values, to_recording, with_derived

        fresh = self.key is None
        before = self.key
        values = values if values is not None else timed_values(protocol, n_sets, set_area)
        values = with_derived(values, protocol.n_areas)
        self._build(
            params,
            protocol.n_areas,
            protocol.n_windows,
            set_area,
            progress=progress,
            monitors=monitors,
            allowed=allowed,
            shapes=parts.layout(values),
        )
        built_now = fresh or before != self.key
        run_args = {}
        for name, ta in self.network.timed.items():
            run_args[ta] = parts.in_units(name, values[name])
        results = f"results_{uuid.uuid4().hex[:12]}"
        synapses = expected_synapses(params, protocol.n_areas, allowed)
        size = 12 * synapses  # i, j, w: 4 bytes each per synapse
        binary = BINARY_BYTES_PER_SYNAPSE * synapses + sum(np.asarray(v).nbytes for v in values.values())
        scratch = _results_in_memory(Path(self.directory) / results, int(size), int(binary))
        # Brian2 exports run_environment_variables into os.environ and leaves them there; the
        # seed must not leak into later processes (an exported ./main would run with it)
        previous = os.environ.get(SEED_ENV)
        b2.device.run_environment_variables[SEED_ENV] = str(int(seed))
        duration = float(protocol.n_windows * params.clock.T_win)
        if progress:
            progress(f"running {protocol.n_windows} windows ({duration:.1f} s of biological time), seed {seed}")
        follow = (
            progress_report.follow(
                Path(self.directory) / results / "stdout.txt",
                duration,
                progress_report.reporter(progress),
                progress_report.period(progress),
            )
            if progress and self.reporting
            else contextlib.nullcontext()
        )
        t0 = time.perf_counter()
        try:
            with follow:
                b2.device.run(
                    directory=str(self.directory), results_directory=results, with_output=False, run_args=run_args
                )
        except Exception as exc:
            raise BackendError(f"{self.device_name} run failed: {exc}") from exc
        finally:
            if previous is None:
                os.environ.pop(SEED_ENV, None)
            else:
                os.environ[SEED_ENV] = previous
        simulate_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        rec = to_recording(
            self.network,
            protocol,
            {"build_s": self.build_s if built_now else 0.0, "simulate_s": simulate_s, "reused_build": not built_now},
            {"backend": self.device_name, "build_dir": str(self.directory)},
            read=standalone_reader(Path(self.directory) / results),
        )
        rec.info["n_synapses_ee"] = int(rec.syn_pre.size)
        rec.info["results_scratch"] = str(scratch.parent) if scratch is not None else None
        prof = Path(self.directory) / results / "profiling_info.txt"
        if prof.exists():
            rec.info["profile_s"] = {
                name: float(sec)
                for name, sec in (line.split() for line in prof.read_text().splitlines() if line.strip())
            }
        rec.timing["read_s"] = time.perf_counter() - t1
        # clean up this run's outputs and run-argument arrays
        if scratch is not None:
            remove_owned(scratch)
            os.unlink(Path(self.directory) / results)
        else:
            shutil.rmtree(Path(self.directory) / results, ignore_errors=True)
        for fname in list(b2.device.run_args_arrays):
            try:
                os.remove(Path(self.directory) / "static_arrays" / fname)
            except OSError:
                pass
        return rec


# --------------------------------------------------------------------------
# CUDA (brian2cuda): every CUDA-specific setting lives here
# --------------------------------------------------------------------------
DEFAULT_CUDA_CC = 9.0  # H100/H200
MIN_CUDA_CC = 7.5  # CUDA 13 dropped older architectures


def visible_gpus() -> list[str]:
    """GPUs that ``nvidia-smi -L`` lists (empty when there is no driver or GPU)."""
    import subprocess

    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.stdout.splitlines() if line.startswith("GPU ")] if out.returncode == 0 else []


def _curand_from_wheel() -> tuple[str, str] | None:
    """(include, lib) folders of cuRAND from the ``nvidia-curand`` wheel, if installed.

    The makefile links ``-lcurand``; the wheel ships only ``libcurand.so.10``,
    so a ``libcurand.so`` link is made in a private folder."""
    try:
        import nvidia
    except ImportError:
        return None
    for base in map(Path, getattr(nvidia, "__path__", [])):
        for sub in ("cu13", "cu12", "curand"):
            inc, lib = base / sub / "include", base / sub / "lib"
            libs = sorted(lib.glob("libcurand.so*")) if lib.is_dir() else []
            if (inc / "curand.h").exists() and libs:
                link_dir = Path(tempfile.gettempdir()) / f"spiking_direct_curand_{os.getuid()}"
                link_dir.mkdir(exist_ok=True)
                link = link_dir / "libcurand.so"
                # a link left by another environment (e.g. a deleted venv) points elsewhere or nowhere:
                # replace it atomically with one to this environment's library
                if os.path.realpath(link) != os.path.realpath(libs[-1]):
                    fresh = link_dir / f".libcurand.so.{os.getpid()}"
                    fresh.unlink(missing_ok=True)
                    fresh.symlink_to(libs[-1])
                    os.replace(fresh, link)
                return str(inc), str(link_dir), str(lib)
    return None


def _toolkit_has_curand() -> bool:
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return False
    root = Path(os.path.realpath(nvcc)).parent.parent
    return any((root / sub / "libcurand.so").exists() for sub in ("lib64", "lib", "targets/x86_64-linux/lib"))


@register("cuda_standalone")
class CudaStandaloneBackend(CppStandaloneBackend):
    """brian2cuda: the same network as CUDA code, compiled once per shape.

    Settings (only here): C++17 for nvcc and for gcc (CUDA 13's Thrust needs
    it); cuRAND from the ``nvidia-curand`` wheel when the toolkit lacks it;
    when no GPU is visible, GPU detection is off and the code is compiled for
    compute capability of the setting ``cuda_cc`` (default 9.0), so a build
    can be made here and run on a GPU machine. With a visible GPU and a
    toolkit that has cuRAND nothing is changed.
    """

    device_name = "cuda_standalone"
    own_spike_queue = False  # brian2cuda has its own spike queue

    def check(self, need_gpu: bool = False):
        """Check for a C++ compiler, ``nvcc``, brian2cuda and a supported compute capability (and, with ``need_gpu``, a
        visible GPU) before any code generation."""
        check_compiler()
        if shutil.which("nvcc") is None:
            raise BackendError("cuda_standalone needs the CUDA compiler 'nvcc' on PATH (install the CUDA toolkit)")
        try:
            import brian2cuda  # noqa: F401
        except ImportError:
            raise BackendError("cuda_standalone needs brian2cuda: pip install 'spiking_direct[cuda]'") from None
        cc = self.compute_capability()
        if cc is not None and cc < MIN_CUDA_CC:
            raise BackendError(f"compute capability {cc} is not supported by CUDA 13 (need >= {MIN_CUDA_CC})")
        if need_gpu and not visible_gpus():
            raise BackendError(
                "no CUDA GPU is visible (nvidia-smi lists none): a cuda_standalone build can be "
                "compiled here but must run on a machine with a GPU; use 'spiking-direct build "
                "--backend cuda_standalone' and run the folder there"
            )

    @staticmethod
    def compute_capability() -> float | None:
        """Compute capability to compile for: the setting ``cuda_cc``; unset, None (detect the
        GPU) when one is visible, else 9.0."""
        cc = settings.cuda_cc
        if cc is not None:
            return cc
        return None if visible_gpus() else DEFAULT_CUDA_CC

    def prepare_prefs(self):
        """The C++ preferences adapted to nvcc (C++17, no host-only flags) plus brian2cuda's compute capability and
        GPU."""
        import brian2 as b2

        super().prepare_prefs()
        prefs = b2.prefs
        cuda = prefs.devices.cuda_standalone.cuda_backend
        cc = self.compute_capability()
        if cc is not None:
            cuda.detect_gpus = False
            cuda.gpu_id = 0
            cuda.compute_capability = cc
        nvcc_args = [a for a in cuda.extra_compile_args_nvcc if not a.startswith("-std=")]
        cuda.extra_compile_args_nvcc = nvcc_args + ["-std=c++17"]
        gcc_args = [
            a
            for a in prefs.codegen.cpp.extra_compile_args_gcc
            if not a.startswith("-std=") and a not in ("-march=native", VECTORIZE_FLAG)
        ]
        prefs.codegen.cpp.extra_compile_args_gcc = gcc_args + ["-std=c++17"]
        # nvcc jobs are memory-hungry: never more than the cores (the default ran 38 at once)
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{min(make_jobs(), 4)}"]
        if not _toolkit_has_curand():
            found = _curand_from_wheel()
            if found is None:
                raise BackendError(
                    "cuRAND not found: the CUDA toolkit has no libcurand and the 'nvidia-curand' "
                    "wheel is not installed (pip install nvidia-curand)"
                )
            inc, link_dir, lib = found
            prefs.codegen.cpp.include_dirs = list(prefs.codegen.cpp.include_dirs) + [inc]
            prefs.codegen.cpp.library_dirs = list(prefs.codegen.cpp.library_dirs) + [link_dir, lib]
            prefs.codegen.cpp.runtime_library_dirs = list(prefs.codegen.cpp.runtime_library_dirs) + [lib]

    @staticmethod
    def insert_seed_code(device, default_seed=None) -> None:
        """cuRAND and host generators of brian2cuda, reseeded like the C++ ones."""
        from .network import SEED_ENV

        fallback = f"{int(default_seed)}ULL" if default_seed is not None else None
        value = f"(_s ? std::stoull(_s) : {fallback})" if fallback else "std::stoull(_s)"
        cond = "if (_s || true)" if fallback else "if (_s)"
        device.insert_code(
            "after_start",
            f'{{ const char* _s = std::getenv("{SEED_ENV}"); {cond} {{'
            f" brian::random_number_buffer.set_seed({value}); }} }}",
        )

    @staticmethod
    def insert_reserve_code(device, params, n_areas, allowed=None) -> None:
        """Nothing: the reservation is written for cpp_standalone's synapse arrays."""

    def codeobj_class(self):
        """brian2cuda's own code objects (its thresholders are CUDA kernels)."""
        return None

    def add_progress_reporter(self, net, n_windows, T_win):
        """Nothing: the reporter's function has a C++ implementation only (in a CUDA kernel it
        would have to print from the device); a CUDA run shows no progress while its binary runs."""
        return None

    def run(self, protocol, n_sets, set_area, params, seed, progress=None, values=None, monitors=None, allowed=None):
        """Check for a GPU, then run as :class:`CppStandaloneBackend` does on the CUDA build."""
        self.check(need_gpu=True)
        return super().run(
            protocol,
            n_sets,
            set_area,
            params,
            seed,
            progress=progress,
            values=values,
            monitors=monitors,
            allowed=allowed,
        )
