"""cuda_standalone: the Alzheimer protocol compiles with brian2cuda (CUDA 13) on a
machine without a GPU; where a GPU is visible it also runs and recovers the links.

Marker ``cuda`` (not in the default run: a CUDA build takes 3-7 minutes on
2 cores); ``.ci/run`` runs it when time allows. Skipped, with the reason,
where brian2cuda or nvcc is not installed.
"""

import shutil

import pytest

pytestmark = pytest.mark.cuda


def test_alzheimer_compiles_with_cuda_standalone(tmp_path):
    pytest.importorskip("brian2cuda", reason="brian2cuda not installed (pip install 'spiking_direct[cuda]')")
    if shutil.which("nvcc") is None:
        pytest.skip("nvcc not on PATH")
    from spiking_direct.config import RunConfig
    from spiking_direct.engines import backends
    from spiking_direct.engines.spiking import timed_values
    from spiking_direct.pipeline import prepare

    cfg = RunConfig(backend="cuda_standalone")
    model, enc, protocol = prepare(cfg)
    be = backends.get("cuda_standalone")
    # a failed build raises BackendError with the compiler's message: the test fails loudly
    out = be.build(
        cfg.spiking,
        protocol.n_areas,
        protocol.n_windows,
        enc.set_area(),
        directory=tmp_path / "cuda",
        values=timed_values(protocol, enc.n_sets, enc.set_area()),
        default_seed=0,
    )
    binary = out / "main"
    assert binary.exists() and binary.stat().st_size > 1_000_000
    assert len(list((out / "code_objects").glob("*.cu"))) > 10
    if backends.visible_gpus():
        from spiking_direct import pipeline

        res = pipeline.run(cfg, figures=False)
        assert res["metrics_delta"]["precision_at_k"] == 1.0


def test_cuda_errors_are_clear(monkeypatch):
    from spiking_direct.engines import backends

    be = backends.get("cuda_standalone")
    monkeypatch.setenv("SPIKING_DIRECT_CUDA_CC", "5.2")
    pytest.importorskip("brian2cuda")
    if shutil.which("nvcc") is not None:
        with pytest.raises(backends.BackendError, match="compute capability 5.2"):
            be.check()
    monkeypatch.setenv("SPIKING_DIRECT_CUDA_CC", "9.0")
    if not backends.visible_gpus():
        with pytest.raises(backends.BackendError, match="no CUDA GPU is visible"):
            be.check(need_gpu=True)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(backends.BackendError, match="nvcc|compiler"):
        be.check()
