"""
A standalone build
==================

:func:`spiking_direct.build` exports a self-contained ``cpp_standalone`` folder: the
generated C++ sources, the makefile, the protocol baked into the build's arrays,
``manifest.json`` (every parameter, the seed, versions) and a README. On any machine with a
C++17 compiler ``make && ./main`` runs it without Python; :func:`spiking_direct.collect`
then turns its ``results/`` into the usual Result. Here the three steps run in one place.
"""

import subprocess
import tempfile
from pathlib import Path

import spiking_direct as sd

folder = Path(tempfile.mkdtemp()) / "alzheimer_build"
sd.build("alzheimer", out=folder, n=200, seed=0, compile=True)  # compile=False: sources only
for path in sorted(folder.iterdir()):
    print(f"{path.name}/" if path.is_dir() else path.name)

# %%
# The README that travels with the folder:
print((folder / "README.md").read_text())

# %%
# Run the binary (as one would on a cluster node), then collect its results here.
subprocess.run(["./main"], cwd=folder, check=True)
res = sd.collect(folder)
print(res)
fig = res.figure("weights_per_link")
