"""Backends of the spiking engine, chosen by name (like Brian2's device registry).

``runtime``
    Brian2's runtime device with the ``numpy`` code-generation target (the
    ``cython`` target of Brian2 2.8.0 fails with numpy 2.x). No compiler
    needed; for small networks and tests.
``cpp_standalone``
    C++ code generated and compiled once per network shape; every run after
    the first re-runs the binary with new ``run_args`` (seed, protocol).
``cuda_standalone``
    the same through brian2cuda (imported only when this backend is asked for).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

_REGISTRY: dict[str, type] = {}


class BackendError(RuntimeError):
    """A backend is unknown or cannot be used on this machine."""


def register(name):
    def deco(cls):
        _REGISTRY[name] = cls
        cls.name = name
        return cls
    return deco


def names() -> list[str]:
    return sorted(_REGISTRY)


_instances: dict[str, object] = {}


def get(name: str):
    """The backend called ``name`` (one instance per process, holding its build)."""
    if name not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose from {names()}")
    if name not in _instances:
        _instances[name] = _REGISTRY[name]()
    return _instances[name]


def check_compiler() -> str:
    """Path of the C++ compiler Brian2 will use, or a BackendError."""
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx) or (shutil.which("c++") if "CXX" not in os.environ else None)
    if path is None:
        raise BackendError(
            f"no C++ compiler found ({cxx!r} is not on PATH); install g++ or use --backend runtime"
        )
    if shutil.which("make") is None:
        raise BackendError("'make' is not on PATH; the cpp_standalone backend needs it")
    return path


@register("runtime")
class RuntimeBackend:
    def run(self, protocol, n_sets, set_area, params, seed, progress=None):
        import brian2 as b2

        from .spiking import build_network, timed_values, to_recording

        _reset_device("runtime")
        b2.prefs.codegen.target = "numpy"
        b2.seed(int(seed))
        t0 = time.perf_counter()
        values = timed_values(protocol, n_sets, set_area)
        network = build_network(params, protocol.n_areas, protocol.n_windows, set_area, values)
        t1 = time.perf_counter()
        duration = protocol.n_windows * params.clock.T_win
        network.net.run(duration, report=_reporter(progress), report_period=10 * b2.second)
        t2 = time.perf_counter()
        return to_recording(network, protocol, {"build_s": t1 - t0, "simulate_s": t2 - t1},
                            {"backend": "runtime", "n_synapses_ee": int(len(network.syn_ee))})


def _reporter(progress):
    if progress is None:
        return None

    def report(elapsed, completed, start, duration):
        progress(f"simulated {float(completed) * 100:.0f}% ({elapsed})")

    return report


def _reset_device(name: str, **kwargs):
    """Select Brian2 device ``name`` with a fresh state (forgets earlier builds)."""
    import brian2 as b2
    from brian2.devices.device import all_devices

    if name == "cuda_standalone":
        import brian2cuda  # noqa: F401  (registers the device)
    all_devices[name].reinit()
    b2.set_device(name, **kwargs)
    b2.start_scope()


@register("cpp_standalone")
class CppStandaloneBackend:
    """Compile once per network shape, run many times with ``run_args``."""

    device_name = "cpp_standalone"

    def __init__(self):
        self.key = None
        self.network = None
        self.directory = None
        self.build_s = None
        self._tmp_root = Path(tempfile.mkdtemp(prefix=f"spiking_direct_{self.device_name}_"))
        atexit.register(shutil.rmtree, self._tmp_root, ignore_errors=True)

    def prepare_prefs(self):
        import brian2 as b2

        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
        b2.prefs.devices.cpp_standalone.openmp_threads = 0

    def check(self):
        check_compiler()

    def build(self, params, n_areas, n_windows, set_area, directory=None, progress=None):
        """Generate and compile the network; returns the build folder."""
        import brian2 as b2

        from .spiking import SEED_ENV, build_network, shape_key

        self.check()
        key = shape_key(params, n_areas, n_windows, set_area, self.device_name)
        if directory is None and key == self.key and self.network is not None:
            return self.directory
        directory = Path(directory) if directory is not None else self._tmp_root / key
        directory.mkdir(parents=True, exist_ok=True)
        if progress:
            progress(f"building {self.device_name} network in {directory} (compiled once per network shape)")
        t0 = time.perf_counter()
        _reset_device(self.device_name, build_on_run=False, directory=str(directory))
        self.prepare_prefs()
        network = build_network(params, n_areas, n_windows, set_area)
        b2.device.insert_code(
            "after_start",
            f'{{ const char* _s = std::getenv("{SEED_ENV}"); if (_s) {{ unsigned long _sd = std::stoul(_s);'
            " for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)"
            " brian::_random_generators[_i].seed(_sd + _i); } }",
        )
        network.net.run(n_windows * params.clock.T_win)
        try:
            b2.device.build(directory=str(directory), compile=True, run=False, with_output=False)
        except Exception as exc:  # compilation failed
            raise BackendError(f"{self.device_name} build failed in {directory}: {exc}") from exc
        self.build_s = time.perf_counter() - t0
        self.key, self.network, self.directory = key, network, directory
        return directory

    def run(self, protocol, n_sets, set_area, params, seed, progress=None):
        import brian2 as b2

        from .spiking import SEED_ENV, timed_values, to_recording

        fresh = self.key is None
        before = self.key
        self.build(params, protocol.n_areas, protocol.n_windows, set_area, progress=progress)
        built_now = fresh or before != self.key
        values = timed_values(protocol, n_sets, set_area)
        run_args = {}
        for name, ta in self.network.timed.items():
            run_args[ta] = values[name] * (b2.second if name == "area_offset" else 1)
        results = f"results_{uuid.uuid4().hex[:12]}"
        b2.device.run_environment_variables[SEED_ENV] = str(int(seed))
        if progress:
            progress(f"running {protocol.n_windows} windows "
                     f"({float(protocol.n_windows * params.clock.T_win):.1f} s of biological time), seed {seed}")
        t0 = time.perf_counter()
        try:
            b2.device.run(directory=str(self.directory), results_directory=results, with_output=False,
                          run_args=run_args)
        except Exception as exc:
            raise BackendError(f"{self.device_name} run failed: {exc}") from exc
        simulate_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        rec = to_recording(self.network, protocol,
                           {"build_s": self.build_s if built_now else 0.0, "simulate_s": simulate_s,
                            "reused_build": not built_now},
                           {"backend": self.device_name, "build_dir": str(self.directory),
                            "n_synapses_ee": int(len(rec_i := self.network.syn_ee.i[:]))})
        rec.timing["read_s"] = time.perf_counter() - t1
        # clean up this run's outputs and run-argument arrays
        shutil.rmtree(Path(self.directory) / results, ignore_errors=True)
        for fname in list(b2.device.run_args_arrays):
            try:
                os.remove(Path(self.directory) / "static_arrays" / fname)
            except OSError:
                pass
        del rec_i
        return rec
