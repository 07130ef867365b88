"""A sphinx-gallery image scraper for the package's figures.

:meth:`spiking_direct.Result.figure` returns a ``matplotlib.figure.Figure`` made without
``pyplot`` (the package never touches pyplot's figure registry), so sphinx-gallery's own
matplotlib scraper, which asks pyplot for its figures, does not see it. This scraper shows
every such figure that an example holds in a variable, once, after the code block that made it.
"""

from __future__ import annotations

import weakref
from pathlib import PurePosixPath

#: figures already shown
_shown: weakref.WeakSet = weakref.WeakSet()


def _figures(value):
    from matplotlib.figure import Figure

    if isinstance(value, Figure):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, Figure):
                yield item
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, Figure):
                yield item


def detached_figures(block, block_vars, gallery_conf):
    """Save every Figure without a pyplot manager that the example's globals hold and that has
    not been shown yet; return the reST that shows them. Runs before the matplotlib scraper,
    which closes pyplot's figures (and so removes the managers that tell them apart)."""
    from sphinx_gallery.scrapers import figure_rst

    paths = []
    iterator = block_vars["image_path_iterator"]
    for value in list(block_vars["example_globals"].values()):
        for fig in _figures(value):
            if getattr(fig.canvas, "manager", None) is not None:
                _shown.add(fig)  # a pyplot figure: sphinx-gallery's matplotlib scraper shows it
            if fig in _shown:
                continue
            path = PurePosixPath(next(iterator))
            fig.savefig(path, dpi=100)
            _shown.add(fig)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"]) if paths else ""
