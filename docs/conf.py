"""Sphinx configuration of the spiking_direct documentation.

Build: ``pip install ".[docs]" && sphinx-build -W --keep-going docs docs/_build/html``
(the gallery in ``examples/`` is executed during the build: a few minutes on 2 cores).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import spiking_direct  # noqa: E402

# one make job per build: the examples compile small standalone networks
os.environ.setdefault("SPIKING_DIRECT_MAKE_JOBS", "1")

project = "spiking_direct"
author = "The spiking_direct authors"
copyright = "2026, The spiking_direct authors"
release = spiking_direct.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sd_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb", "auto_examples/*.py"]
root_doc = "index"

# -- HTML --------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"spiking_direct {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False

# -- autodoc / autosummary / numpydoc ----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections say the types; signatures stay short
add_module_names = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- intersphinx ---------------------------------------------------------------------------------
# The inventories are fetched over the network. Offline, a mapping would fail the build under -W,
# so each is used only when its host resolves (SPIKING_DIRECT_DOCS_OFFLINE=1 skips them all).
_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "pandas": "https://pandas.pydata.org/docs",
    "matplotlib": "https://matplotlib.org/stable",
    "brian2": "https://brian2.readthedocs.io/en/stable",
}


def _reachable(url: str) -> bool:
    if os.environ.get("SPIKING_DIRECT_DOCS_OFFLINE"):
        return False
    host = url.split("/")[2]
    try:
        socket.getaddrinfo(host, 443)
        with socket.create_connection((host, 443), timeout=3):
            return True
    except OSError:
        return False


intersphinx_mapping = {name: (url, None) for name, url in _INVENTORIES.items() if _reachable(url)}
intersphinx_timeout = 10

# -- sphinx-gallery ------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("spiking_direct",),
    # the package's figures are made without pyplot (Result.figure): sd_gallery shows them
    "image_scrapers": ("sd_gallery.detached_figures", "matplotlib"),
    "remove_config_comments": True,
    "show_memory": False,
    "download_all_examples": False,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
}
