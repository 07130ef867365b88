#!/usr/bin/env bash
# benchmarks/gpu_compare.py on a lent GPU machine (the `device` tool), in two steps:
#
#   here:   bash benchmarks/gpu_device.sh fetch
#   there:  device run, carry [".whl"], command "bash benchmarks/gpu_device.sh run [--quick]"
#
# The lent machines' image (.library/device/KINDS.md) has Python 3.12, CUDA 13 (nvcc), nvidia-curand,
# SciPy, pandas, Matplotlib, scikit-learn, NetworkX, PyArrow, SymPy, Jinja2, pyparsing, Cython,
# setuptools and NumPy 2.5.2, and nothing can be fetched there. Python 3.12 takes the package's
# Python >= 3.12 stack (pyproject.toml): Brian2 2.10.1 (NumPy >= 2.0) and brian2cuda 1.0b1.
# `fetch` downloads NumPy 2.5.5 (the one the 3.12 tests ran with here), Brian2 2.10.1 and brian2cuda
# 1.0b1 as cp312 wheels (18 MB) into .whl/ (which .gitignore keeps out of git). `run` installs them
# and this checkout into /tmp/site, runs gpu_compare.py (arguments passed on) and copies its CSV and
# log to $OUT, the folder the device tool brings back. Checked here with Python 3.12 and
# `run --quick --backends cpp_standalone`; the CUDA half has not met a GPU yet.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  fetch)
    rm -rf .whl && mkdir .whl
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 -d .whl "numpy==2.5.5" "brian2==2.10.1" "brian2cuda==1.0b1"
    ls -l .whl
    ;;
  run)
    shift
    out="${OUT:-/tmp/gpu_compare_out}"
    mkdir -p "$out"
    ls .whl/*.whl > /dev/null || { echo "no wheels in .whl/: run 'fetch' here and carry .whl" >&2; exit 2; }
    site=/tmp/site
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
    python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --upgrade --target "$site" .
    export PYTHONPATH="$site" PYTHONUNBUFFERED=1
    { nvidia-smi -L || echo "nvidia-smi: no GPU listed"; } | tee "$out/gpu.txt"
    set +e
    python3 benchmarks/gpu_compare.py "$@" 2>&1 | tee "$out/gpu_compare.log"
    rc=${PIPESTATUS[0]}
    cp benchmarks/results/gpu_compare*.csv "$out"/ 2>/dev/null
    exit "$rc"
    ;;
  *)
    echo "usage: $0 fetch | run [gpu_compare.py arguments]" >&2
    exit 2
    ;;
esac
