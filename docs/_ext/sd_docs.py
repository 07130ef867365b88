"""Sphinx directives and roles whose content is computed from the package at build time.

Nothing these produce is typed by hand: every number and every row comes from the installed
``spiking_direct`` when the documentation is built.

``.. sd-parameters::``
    the table of :func:`spiking_direct.params` (option ``:section:``: ``top`` for the top-level
    parameters, or a first path component such as ``protocol``, ``spiking``, ``rate``).
``.. sd-short-keys::``
    the short parameter names (``n``, ``lead`` ...) and the paths they stand for.
``.. sd-learning-rules::``
    the learning rules of ``learning=`` and the parameters each one sets.
``.. sd-chance-table:: MODEL [MODEL ...]``
    the chance levels of the structure metrics for the given causal models.
``.. sd-figures::``
    the figures of a run (:func:`spiking_direct.plots.names`) with what each shows.
``:sd-chance:`MODEL KEY```
    one chance level (a key of ``structure_metrics(...)["chance"]``, or ``k`` / ``n_pairs``).
``:sd-model:`MODEL ATTRIBUTE```
    an attribute of a causal model (``n_variables``, ``n_links``).
``:sd-param:`PATH```
    the default of a parameter, as :func:`spiking_direct.params` shows it (``5. ms``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


def _table(header: list[str], rows: list[list[nodes.Node | str]], widths: list[int]) -> nodes.table:
    """A docutils table; a cell is a node or plain text (never parsed as markup)."""
    table = nodes.table(classes=["sd-generated"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for w in widths:
        group += nodes.colspec(colwidth=w)

    def row(cells):
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell)))
            r += entry
        return r

    head = nodes.thead()
    head += row(header)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += body
    return table


def _code(text) -> nodes.literal:
    return nodes.literal(str(text), str(text))


class ParametersTable(SphinxDirective):
    has_content = False
    option_spec = {"section": directives.unchanged}

    def run(self):
        import spiking_direct as sd

        frame = sd.params()
        section = self.options.get("section")
        if section == "top":
            frame = frame[~frame["path"].str.contains(".", regex=False)]
        elif section:
            frame = frame[frame["path"].str.startswith(section + ".")]
        if frame.empty:
            raise self.error(f"no parameter in section {section!r}")
        rows = [[_code(r.path), _code(r.default), r.unit or "", r.doc] for r in frame.itertuples()]
        return [_table(["path", "default", "unit (SI)", "meaning"], rows, [28, 14, 6, 52])]


class ShortKeys(SphinxDirective):
    has_content = False

    def run(self):
        from spiking_direct.config import SHORT_KEYS

        rows = [[_code(key), nodes.inline("", "", *_joined(paths))] for key, paths in SHORT_KEYS.items()]
        return [_table(["short name", "stands for"], rows, [20, 80])]


class LearningRules(SphinxDirective):
    has_content = False

    def run(self):
        from spiking_direct.config import LEARNING_RULES

        rows = [
            [_code(name), nodes.inline("", "", *_joined(sets)) if sets else "the defaults (no parameter changed)"]
            for name, sets in LEARNING_RULES.items()
        ]
        return [_table(["learning=", "sets"], rows, [20, 80])]


def _joined(texts) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for i, t in enumerate(texts):
        if i:
            out.append(nodes.Text(", "))
        out.append(_code(t))
    return out


@lru_cache(maxsize=None)
def _chance(model: str) -> dict:
    from spiking_direct.causal import get_model
    from spiking_direct.metrics import structure_metrics

    m = get_model(model)
    truth = m.adjacency().astype(bool)
    out = structure_metrics(np.zeros(truth.shape), truth)
    return {**out["chance"], "k": out["k"], "n_pairs": out["n_pairs"], "n_variables": m.n_variables}


def _fmt(value) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.3g}"


class ChanceTable(SphinxDirective):
    required_arguments = 1
    optional_arguments = 20
    has_content = False

    def run(self):
        rows = []
        for model in self.arguments:
            c = _chance(model)
            rows.append(
                [
                    _code(model),
                    _fmt(c["n_variables"]),
                    _fmt(c["k"]),
                    _fmt(c["n_pairs"]),
                    _fmt(c["precision_at_k"]),
                    _fmt(c["auroc"]),
                    _fmt(c["average_precision"]),
                    _fmt(c["shd"]),
                    _fmt(c["precision_at_k_given_skeleton"]),
                ]
            )
        header = [
            "model",
            "variables",
            "links K",
            "ordered pairs",
            "P@K = R@K",
            "AUROC",
            "average precision",
            "expected SHD",
            "P@K given the skeleton",
        ]
        return [_table(header, rows, [14, 9, 8, 9, 10, 8, 10, 10, 12])]


class FigureList(SphinxDirective):
    has_content = False

    def run(self):
        from spiking_direct import plots

        items = nodes.definition_list()
        for name in plots.names():
            maker = getattr(plots, name, None) or getattr(plots, f"{name}_figure")
            doc = " ".join((maker.__doc__ or "").split())
            item = nodes.definition_list_item()
            item += nodes.term("", "", _code(f"figures/{name}.png"))
            definition = nodes.definition()
            definition += nodes.paragraph("", doc.replace("``", ""))
            item += definition
            items += item
        return [items]


def chance_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    model, key = text.split()
    try:
        return [nodes.Text(_fmt(_chance(model)[key]))], []
    except KeyError:
        msg = inliner.reporter.error(f"sd-chance: unknown key {key!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]


def model_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from spiking_direct.causal import get_model

    model, attribute = text.split()
    return [nodes.Text(_fmt(getattr(get_model(model), attribute)))], []


@lru_cache(maxsize=None)
def _defaults() -> dict:
    import spiking_direct as sd

    return dict(zip(sd.params()["path"], sd.params()["default"]))


def param_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    defaults = _defaults()
    if text not in defaults:
        msg = inliner.reporter.error(f"sd-param: unknown parameter {text!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    value = str(defaults[text])
    return [nodes.literal(value, value)], []


#: Docstrings of the package that are not valid reStructuredText, mended here at build time so that
#: ``-W`` holds; each entry names one object and one rewrite, and does nothing once the docstring
#: is fixed in the package (then the entry should go).
#:
#: * ``RateParams``: a "name : meaning" list whose multi-line items are indented continuation
#:   lines right after single-line items ("Unexpected indentation"): a blank line is put before
#:   every item.
#: * ``readout.Propagation``: ``|responders ∩ A_v|`` reads as a substitution reference: the bars
#:   are escaped.
DOCSTRING_WORKAROUNDS = {
    "spiking_direct.engines.rate.params.RateParams": (re.compile(r"^(\w+ : )"), r"\n\1"),
    "spiking_direct.engines.rate.RateParams": (re.compile(r"^(\w+ : )"), r"\n\1"),
    "spiking_direct.readout.Propagation": (re.compile(r"\|(responders ∩ A_v)\|"), r"\\|\1\\|"),
}


def _mend_docstring(app, what, name, obj, options, lines):
    fix = DOCSTRING_WORKAROUNDS.get(name)
    if fix is None:
        return
    pattern, repl = fix
    text = "\n".join(pattern.sub(repl, line) for line in lines)
    lines[:] = text.split("\n")


def setup(app):
    app.add_directive("sd-parameters", ParametersTable)
    app.add_directive("sd-short-keys", ShortKeys)
    app.add_directive("sd-learning-rules", LearningRules)
    app.add_directive("sd-chance-table", ChanceTable)
    app.add_directive("sd-figures", FigureList)
    app.add_role("sd-chance", chance_role)
    app.add_role("sd-model", model_role)
    app.add_role("sd-param", param_role)
    app.connect("autodoc-process-docstring", _mend_docstring, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
