"""The generated C++: the compiler vectorises the excitatory state update, and the
block thresholder gives Brian2's events to the bit.

Brian2 copies each global array into a local ``__restrict`` pointer; GCC does
not take that as a promise and vectorises the loop only behind run-time
overlap checks, more of them than its default limit allows. The cpp_standalone
backend raises the limit (``backends.VECTORIZE_FLAG``); without it the loop,
the second-largest cost of an Alzheimer run, stays scalar (the negative
control below).
"""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from spiking_direct.engines.backends import VECTORIZE_FLAG

pytestmark = pytest.mark.standalone


def _gcc() -> str | None:
    gxx = shutil.which("g++")
    if gxx is None:
        return None
    version = subprocess.run([gxx, "--version"], capture_output=True, text=True).stdout
    return gxx if "Free Software Foundation" in version else None


def _vectorised(gxx, folder, flags) -> bool:
    # a second network built in the same process gets numbered code objects (..._codeobject_1.cpp)
    (source,) = [p.relative_to(folder) for p in (folder / "code_objects").glob("exc_stateupdater_codeobject*.cpp")]
    out = subprocess.run(
        [gxx, "-c", *flags, "-I.", str(source), "-o", "/dev/null", "-fopt-info-vec-optimized"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return source.name in out.stderr and "loop vectorized" in out.stderr


def test_excitatory_state_update_is_vectorised(tmp_path):
    gxx = _gcc()
    if gxx is None:
        pytest.skip("needs GCC (g++)")
    folder = tmp_path / "export"
    # in a child process: an export in this one would discard the test run's shared build
    subprocess.run(
        [sys.executable, "-m", "spiking_direct.cli", "build", "alzheimer", "--out", str(folder), "--quiet"],
        check=True,
        capture_output=True,
    )
    line = re.search(r"^OPTIMISATIONS = (.*)$", (folder / "makefile").read_text(), re.MULTILINE).group(1)
    flags = [f.replace('"', "") for f in line.split()]
    assert VECTORIZE_FLAG in flags
    assert _vectorised(gxx, folder, flags)
    # control: the same file and flags without the raised limit stay scalar
    assert not _vectorised(gxx, folder, [f for f in flags if f != VECTORIZE_FLAG]), (
        "this GCC vectorises the loop without the raised limit: the flag may no longer be needed"
    )


# ---------------------------------------------------------------------------
# block thresholder (backends.block_threshold_codeobject)
# ---------------------------------------------------------------------------
_THRESHOLD_CHILD = r"""
import hashlib, sys
import numpy as np
import brian2 as b2
from spiking_direct.engines.backends import block_threshold_codeobject, spike_driven_event
kind, folder = sys.argv[1], sys.argv[2]
b2.set_device("cpp_standalone", directory=folder, build_on_run=False)
b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
b2.defaultclock.dt = 0.1 * b2.ms
b2.seed(3)   # before the first random draw (the connection below)
cls = block_threshold_codeobject() if kind == "block" else None
# 1000 cells: three blocks of 256 and a partial one; refractory, a custom event and a
# stochastic threshold (random draws must come in the same order)
G = b2.NeuronGroup(1000, "dv/dt = (I - v) / (10*ms) + 0.5 * sqrt(2 / (10*ms)) * xi : 1 (unless refractory)\nI : 1",
                   threshold="v > 1", reset="v = 0", refractory=3 * b2.ms, method="euler",
                   events={"upper": "v > 0.8 and rand() < 0.3", "fresh": "lastspike == t and I > 0.7"},
                   codeobj_class=cls, name="g")
if kind == "block":
    spike_driven_event(G, "fresh")   # tests only this step's spikes
    try:
        spike_driven_event(G, "upper")
        raise SystemExit("spike_driven_event accepted a condition that does not imply a spike")
    except ValueError:
        pass
G.I = "1.4 * i / 1000.0"
P = b2.NeuronGroup(700, "", threshold="rand() < 0.01", codeobj_class=cls, name="p")
S = b2.Synapses(P, G, on_pre="v_post += 0.2", name="s")
S.connect(p=0.05)
ms_ = b2.SpikeMonitor(G, name="m_spike")
mu = b2.EventMonitor(G, "upper", name="m_upper")
mf = b2.EventMonitor(G, "fresh", name="m_fresh")
mp = b2.SpikeMonitor(P, name="m_p")
b2.run(200 * b2.ms)
b2.device.build(directory=folder, compile=True, run=True, with_output=False)
for m in (ms_, mu, mf, mp):
    i, t = np.asarray(m.i[:]), np.asarray(m.t_[:])
    print(m.name, i.size, hashlib.md5(i.tobytes() + t.tobytes()).hexdigest())
"""


#: Brian2's threshold.cpp that templates/threshold.cpp splits into blocks: sha256 of its text without
#: trailing whitespace, the same in Brian2 2.8.0 and 2.10.1. Another Brian2 whose template differs
#: needs its own block template (chosen in backends.block_threshold_codeobject).
BRIAN2_THRESHOLD_SHA256 = "e7d41365657a57e3e9c2f0f33bea1b768aca14ba66c0b41f4706978052ba8dfe"


def test_block_template_derives_from_this_brian2s_threshold_template():
    import hashlib
    from pathlib import Path

    import brian2

    text = (Path(brian2.__file__).parent / "devices" / "cpp_standalone" / "templates" / "threshold.cpp").read_text()
    assert hashlib.sha256(text.rstrip().encode()).hexdigest() == BRIAN2_THRESHOLD_SHA256, (
        f"Brian2 {brian2.__version__} changed its threshold template: templates/threshold.cpp must follow it"
    )


def _threshold_run(kind, folder):
    out = subprocess.run([sys.executable, "-c", _THRESHOLD_CHILD, kind, str(folder)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line.split() for line in out.stdout.splitlines() if line.startswith("m_")]
    return {name: (int(n), digest) for name, n, digest in rows}


def test_block_thresholder_gives_brian2s_events_to_the_bit(tmp_path):
    """The block template (condition pass, then compaction of blocks with a
    crossing) gives exactly the events of Brian2's own template: same cells,
    same steps, same order, same random draws (a stochastic threshold and a
    stochastic custom event), with refractoriness and a partial last block.
    So does the spike-driven thresholder of a ``lastspike == t and ...`` event
    (``backends.spike_driven_event``: tests only this step's spikes), which
    refuses a condition that a cell that did not spike could satisfy.
    The comparison sees a change of draw order: with the seed set after the
    first draw (the connection), two runs of one template already differed."""
    if _gcc() is None and shutil.which("c++") is None:
        pytest.skip("needs a C++ compiler")
    ours = _threshold_run("block", tmp_path / "block")
    brian = _threshold_run("brian2", tmp_path / "brian2")
    # the network exercises every path: spikes, custom events and stochastic cells in every block
    assert ours["m_spike"][0] > 2000 and ours["m_upper"][0] > 2000 and ours["m_p"][0] > 1000
    assert 500 < ours["m_fresh"][0] < ours["m_spike"][0]  # the spike-driven event: a strict subset of spikes
    assert ours == brian
    fresh = (tmp_path / "block" / "code_objects" / "g_fresh_thresholder_codeobject.cpp").read_text()
    assert "_num_spikes" in fresh and "_crossed" not in fresh
    generated = (tmp_path / "block" / "code_objects" / "g_spike_thresholder_codeobject.cpp").read_text()
    assert "_crossed" in generated
    assert "_crossed" not in (tmp_path / "brian2" / "code_objects" / "g_spike_thresholder_codeobject.cpp").read_text()


# ---------------------------------------------------------------------------
# spike queue (backends.CppStandaloneBackend.patch_sources)
# ---------------------------------------------------------------------------
#: sha256 of the spike queue Brian2 copies into a project, which ``templates/spikequeue.h``
#: follows: ``synapses/cspikequeue.cpp`` of Brian2 2.8.0, ``synapses/spikequeue.h`` of 2.10.1;
#: another Brian2 whose queue differs needs the file redone
BRIAN2_SPIKEQUEUE_SHA256 = {
    "cspikequeue.cpp": "0bd93e478900d9787d522e97c277e1ca088954d579a0cbc56e7b962b1eb9bb32",
    "spikequeue.h": "1e800c8c3f9ec1bdece9a334ec5ce0ccf7f90383d043661e571a3b448c1ff966",
}

_QUEUE_CHILD = r"""
import hashlib, sys
import numpy as np
import brian2 as b2
from brian2.codegen.cpp_prefs import get_compiler_and_args
from spiking_direct.engines.backends import CppStandaloneBackend
kind, folder = sys.argv[1], sys.argv[2]
b2.set_device("cpp_standalone", directory=folder, build_on_run=False)
b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
if kind == "own_coded":  # every pathway not in source order codes its ids (the makefile's flags)
    b2.prefs.codegen.cpp.extra_compile_args_gcc += ["-DSPIKING_DIRECT_CODED_IDS_MIN=0"]
b2.defaultclock.dt = 0.1 * b2.ms
b2.seed(5)
G = b2.NeuronGroup(400, "dv/dt = (I - v) / (10*ms) + 0.3 * sqrt(2 / (10*ms)) * xi : 1 (unless refractory)\nI : 1",
                   threshold="v > 1", reset="v = 0", refractory=2 * b2.ms, method="euler", name="g")
G.I = "0.9 + 0.3 * i / 400.0"
P = b2.NeuronGroup(300, "", threshold="rand() < 0.02", name="p")
# a pathway stored in the order of its sources (the queue holds no ids), scalar delay
S_in = b2.Synapses(P, G, "w : 1", on_pre="v_post += w", delay=1 * b2.ms, name="s_in")
S_in.connect(p=0.1)
S_in.w = "0.1 + 0.2 * rand()"
# plastic recurrent synapses, one delay per synapse; the post pathway is never in source order
S_ee = b2.Synapses(G, G, '''w : 1
                   dapre/dt = -apre / (20*ms) : 1 (event-driven)
                   dapost/dt = -apost / (20*ms) : 1 (event-driven)''',
                   on_pre="v_post += w; apre += 0.01; w = clip(w - apost, 0, 0.3)",
                   on_post="apost += 0.012; w = clip(w + apre, 0, 0.3)", name="s_ee")
S_ee.connect(p=0.05, condition="i != j")
S_ee.w = "0.05 * rand()"
S_ee.delay = "(0.5 + 2 * rand()) * ms"
# a pathway whose synapses are not in the order of their sources (the queue keeps their ids)
rng = np.random.default_rng(0)
pre, post = rng.integers(0, 300, 4000), rng.integers(0, 400, 4000)
S_x = b2.Synapses(P, G, on_pre="v_post -= 0.05", delay=0.5 * b2.ms, name="s_x")
S_x.connect(i=pre, j=post)
mg, mp = b2.SpikeMonitor(G, name="m_g"), b2.SpikeMonitor(P, name="m_p")
b2.run(300 * b2.ms)
b2.device.build(directory=folder, compile=False, run=False, with_output=False)
if kind.startswith("own"):
    CppStandaloneBackend.patch_sources(folder)
b2.device.compile_source(folder, get_compiler_and_args()[0], False, False)
b2.device.run(folder, "results", with_output=False)
for m in (mg, mp):
    i, t = np.asarray(m.i[:]), np.asarray(m.t_[:])
    print(m.name, i.size, hashlib.md5(i.tobytes() + t.tobytes()).hexdigest())
w = np.asarray(S_ee.w[:])
print("w_ee", w.size, hashlib.md5(w.tobytes()).hexdigest(), int(np.sum(np.abs(w - 0.0) > 0.05)))
"""


def _queue_run(kind, folder):
    out = subprocess.run([sys.executable, "-c", _QUEUE_CHILD, kind, str(folder)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line.split() for line in out.stdout.splitlines() if line.startswith(("m_", "w_"))]
    return {row[0]: tuple(row[1:]) for row in rows}


def test_spike_queue_derives_from_this_brian2s_queue():
    import hashlib
    from pathlib import Path

    import brian2

    folder = Path(brian2.__file__).parent / "synapses"
    name = "spikequeue.h" if (folder / "spikequeue.h").exists() else "cspikequeue.cpp"
    text = (folder / name).read_text()
    assert hashlib.sha256(text.rstrip().encode()).hexdigest() == BRIAN2_SPIKEQUEUE_SHA256[name], (
        f"Brian2 {brian2.__version__} changed its spike queue: templates/spikequeue.h must follow it"
    )


def test_own_spike_queue_gives_brian2s_run_to_the_bit(tmp_path):
    """The compressed queue (``templates/spikequeue.h``) delivers the same spikes to the same
    synapses in the same order as Brian2's: the same spikes and the same plastic weights to the
    bit, over a pathway stored in source order (no ids), one that is not, and one with a delay
    per synapse (both pathways of STDP synapses), with ids held as they are and Elias-Fano coded.
    The generated project really holds it."""
    if shutil.which("g++") is None and shutil.which("c++") is None:
        pytest.skip("needs a C++ compiler")
    ours = _queue_run("own", tmp_path / "own")
    coded = _queue_run("own_coded", tmp_path / "own_coded")
    brian = _queue_run("brian2", tmp_path / "brian2")
    assert int(ours["m_g"][0]) > 1000 and int(ours["m_p"][0]) > 1000
    assert int(ours["w_ee"][2]) > 100  # potentiation moved weights beyond their initial range
    assert ours == brian
    assert coded == brian
    assert "in_order" in (tmp_path / "own" / "brianlib" / "spikequeue.h").read_text()
    assert "in_order" not in (tmp_path / "brian2" / "brianlib" / "spikequeue.h").read_text()


_QUEUE_UNIT = r"""
#include "spikequeue.h"
#include <cstdio>
#include <random>
// every source cell's synapses, pushed one cell at a time, against a list made by hand; the
// source arrays: random, in blocks, one cell holding almost all, descending blocks, huge gaps
int main()
{
    std::mt19937_64 g(1);
    int fails = 0, coded = 0;
    for (int trial = 0; trial < 25; trial++)
    {
        const int ns = 1 + (int)(g() % 400), n = (int)(g() % (trial < 15 ? 20000 : 2000000));
        const int mode = trial % 5;
        std::vector<int32_t> src(n);
        for (int i = 0; i < n; i++)
        {
            if (mode == 0) src[i] = (int32_t)(g() % ns);
            else if (mode == 1) src[i] = (i / (n / ns + 1)) % ns;
            else if (mode == 2) src[i] = (g() % 100 == 0) ? (int32_t)(g() % ns) : 0;
            else if (mode == 3) src[i] = ns - 1 - (int32_t)(((int64_t)i * ns) / (n + 1));
            else src[i] = (g() % 5000 == 0) ? 1 % ns : (int32_t)(g() % ns);
        }
        CSpikeQueue q(0, ns);
        double d = 0.0003;
        q.prepare(&d, 1, src.data(), n, 0.0001);
        coded += q.coded;
        std::vector<std::vector<int32_t> > want(ns);
        for (int i = 0; i < n; i++) want[src[i]].push_back(i);
        for (int c = 0; c < ns; c++)
        {
            int32_t spike = c;
            q.push(&spike, 1);
            std::vector<int32_t> &got = q.queue[(q.offset + q.delays[0]) % q.queue.size()];
            fails += got != want[c];
            got.clear();
        }
        if (q.coded && mode == 0 && n > 100000)  // uniform: a cell's ids about ns apart
            printf("bits_per_id %.3f ns %d\n", 64.0 * q.bits.size() / n, ns);
    }
    printf("coded %d fails %d\n", coded, fails);
    return fails != 0;
}
"""


@pytest.mark.parametrize("coded", [True, False], ids=["coded", "plain"])
def test_spike_queue_gives_every_cells_synapses(tmp_path, coded):
    """``templates/spikequeue.h`` gives every source cell's synapses in increasing order, over random
    sources, blocks, one cell with almost every synapse, descending blocks and rare far-apart
    synapses: with ids held as they are, and Elias-Fano coded (the coding threshold at 0) with at
    most 2 + log2(range / count) bits an id."""
    gxx = _gcc() or shutil.which("c++")
    if gxx is None:
        pytest.skip("needs a C++ compiler")
    from pathlib import Path

    import brian2

    from spiking_direct.engines import backends

    root = Path(brian2.__file__).parent
    (tmp_path / "t.cpp").write_text(_QUEUE_UNIT)
    templates = Path(backends.__file__).parent / "templates"
    flags = ["-DSPIKING_DIRECT_CODED_IDS_MIN=0"] if coded else []
    brianlib, synapses = root / "devices" / "cpp_standalone" / "brianlib", root / "synapses"
    command = [gxx, "-O2", "-std=c++11", *flags, f"-I{templates}", f"-I{brianlib}", f"-I{synapses}", "t.cpp", "-o", "t"]
    build = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    out = subprocess.run([str(tmp_path / "t")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:]
    # 5 of the 25 source arrays are in order (no ids); the arrays are below the default threshold
    assert f"coded {20 if coded else 0} fails 0" in out.stdout
    rates = [line.split() for line in out.stdout.splitlines() if line.startswith("bits_per_id")]
    assert bool(rates) == coded
    for _, bits, _, ns in rates:  # Elias-Fano: at most 2 + log2(range / count) bits an id, not 32
        assert float(bits) < 2.5 + np.log2(int(ns))


def test_spike_queue_codes_ids_from_the_estimates_threshold():
    """The memory estimate codes ids from the same pathway size as the queue."""
    import re
    from pathlib import Path

    from spiking_direct import memory
    from spiking_direct.engines import backends

    text = (Path(backends.__file__).parent / "templates" / "spikequeue.h").read_text()
    (value,) = re.findall(r"#define SPIKING_DIRECT_CODED_IDS_MIN (\d+)", text)
    assert int(value) == memory.CODED_IDS_MIN
