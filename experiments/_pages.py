"""Results pages of the documentation, written by the scripts that produce the results.

Every page under ``docs/results/`` is generated: a script in ``experiments/`` or ``benchmarks/``
writes its CSVs, then builds its page from them with this module, so that every number on a page
comes from a table (claim sentences are f-strings over the DataFrame; no number is typed by hand).
Each script also has a ``--page-only`` option that rewrites its page from the committed CSVs
without running anything.

Interface (one :class:`Page` per results page)::

    import sys; sys.path.insert(0, str(ROOT / "experiments"))   # from benchmarks/ only
    from _pages import Page, fmt

    page = Page("capacity", "Beyond a handful of variables", command="python experiments/capacity.py")
    page.text(f"Precision@K is {fmt(df.precision_at_k.min())} in every run.")   # reST paragraph
    page.section("By model")                                                    # a sub-heading
    page.table(df, "experiments/results/capacity.csv", columns={"model": "model", "auroc": "AUROC"},
               formats={"auroc": "{:.3f}"}, caption="...")
    page.figure("figures/capacity.png", "What the figure shows.")
    page.write()                                                                # docs/results/capacity.rst

:meth:`Page.table` states once, under the table, the CSV it comes from, the machine it was
measured on (the CSV's ``machine`` column or the ``machine`` key of its JSON sidecar, same stem)
and the date (a ``time`` or ``date`` column, the sidecar's ``date``, or else the date the CSV was
last committed).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
#: where the pages go (``SPIKING_DIRECT_PAGES_DIR`` redirects them, e.g. for a comparison in a test)
PAGES = Path(os.environ.get("SPIKING_DIRECT_PAGES_DIR") or ROOT / "docs" / "results")

__all__ = ["Page", "fmt", "provenance", "rst_table"]


_NEGATIVE_ZERO = re.compile(r"^(\s*)-(0+(?:\.0+)?)(?![0-9.])")


def _unsigned_zero(text: str, plus: bool = False) -> str:
    """``text`` with a negative number that rounds to zero at its start printed as zero
    (``-0.00`` -> ``0.00``, ``-0.0 %`` -> ``0.0 %``; ``+0.00`` where the format signs every number)."""
    return _NEGATIVE_ZERO.sub(lambda m: f"{m[1]}{'+' if plus else ''}{m[2]}", text, count=1)


def fmt(x, digits: int = 2, pct: bool = False) -> str:
    """A number as text: ``digits`` decimals (a percentage with ``pct``), integers without decimals."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if pct:
        return _unsigned_zero(f"{100 * x:.{digits}f} %")
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6 and digits == 0):
        return f"{int(x)}"
    return _unsigned_zero(f"{x:.{digits}f}")


def rng(lo, hi, digits: int = 2) -> str:
    """``lo-hi``, or one number when both are the same at this precision."""
    a, b = fmt(lo, digits), fmt(hi, digits)
    if a == b:
        return a
    return f"{a} to {b}" if a.startswith("-") or b.startswith("-") else f"{a}-{b}"


def _committed(path: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cs", "--", str(path)], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def provenance(source: str | Path, df: pd.DataFrame | None = None, sidecar: str | Path | None = None) -> str:
    """One sentence: the CSV, the machine and the date of a table, from what the CSV records (or its
    JSON ``sidecar``: by default the JSON file of the same stem)."""
    path = ROOT / source
    csv = path.name.endswith((".csv", ".csv.gz"))
    if df is None and csv and path.exists():
        df = pd.read_csv(path)
    side = {}
    stem = path.name.removesuffix(".gz").removesuffix(".csv") if csv else path.stem
    sidecar = ROOT / sidecar if sidecar is not None else path.with_name(stem + ".json")
    if sidecar.exists() and sidecar != path:
        try:
            side = json.loads(sidecar.read_text())
        except ValueError:
            side = {}
    machine = None
    if df is not None and "machine" in df.columns and df.machine.notna().any():
        machine = "; ".join(dict.fromkeys(str(m) for m in df.machine.dropna()))
    elif isinstance(side, dict) and side.get("machine"):
        machine = str(side["machine"])
    elif isinstance(side, dict) and isinstance(side.get("versions"), dict) and side["versions"].get("machine"):
        machine = str(side["versions"]["machine"])  # spiking_direct.results.versions()
    date = None
    for col in ("time", "date"):
        if df is not None and col in df.columns and df[col].notna().any():
            days = sorted({str(t)[:10] for t in df[col].dropna()})
            date = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
            break
    if date is None and isinstance(side, dict) and side.get("date"):
        date = str(side["date"])[:10]
    where = f"measured on {machine}" if machine else "machine not recorded in the table"
    when = f"date {date}" if date else f"file last committed {_committed(path) or 'n/a'}"
    return f"Source: ``{Path(source).as_posix()}`` ({where}; {when})."


def rst_table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str | Callable] | None = None,
    caption: str | None = None,
    widths: str | None = None,
) -> str:
    """A reST ``list-table`` of ``df`` (``columns``: name -> header, in that order; ``formats``:
    name -> format string such as ``"{:.2f}"`` or a function of the value)."""
    columns = dict(columns) if columns else {c: c for c in df.columns}
    formats = formats or {}

    def cell(col, v) -> str:
        f = formats.get(col)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "n/a"
        if callable(f):
            return str(f(v))
        if f:
            return _unsigned_zero(f.format(v), plus="{:+" in f)
        if isinstance(v, float):
            return fmt(v, 3)
        return str(v)

    lines = [f".. list-table:: {caption or ''}".rstrip(), "   :header-rows: 1"]
    if widths:
        lines.append(f"   :widths: {widths}")
    lines.append("")
    rows = [list(columns.values())] + [[cell(c, r[c]) for c in columns] for _, r in df.iterrows()]
    for row in rows:
        for i, c in enumerate(row):
            text = str(c).replace("\n", " ") or " "
            if "``" not in text:
                text = text.replace("|", "\\|")  # not a substitution reference
            lines.append(f"   {'* -' if i == 0 else '  -'} {text}")
    return "\n".join(lines)


class Page:
    """One generated results page (``docs/results/<name>.rst``)."""

    def __init__(self, name: str, title: str, command: str | None = None, intro: str | None = None):
        self.name, self.title, self.command = name, title, command or ""
        self.blocks: list[str] = []
        if command:
            self.text(f"Generated by ``{command}`` from the tables it writes (``--page-only`` rewrites this page).")
        if intro:
            self.text(intro)

    def text(self, rst: str) -> Page:
        """A paragraph (or any reST block)."""
        self.blocks.append(rst.strip())
        return self

    def bullets(self, items: list[str]) -> Page:
        self.blocks.append("\n".join("* " + " ".join(i.split()) for i in items))
        return self

    def section(self, title: str) -> Page:
        self.blocks.append(f"{title}\n{'-' * len(title)}")
        return self

    def table(self, df: pd.DataFrame, source: str | Path, **kw) -> Page:
        """A table and, under it, its source, machine and date (see :func:`provenance`)."""
        raw = kw.pop("raw", None)
        sidecar = kw.pop("sidecar", None)
        self.blocks.append(rst_table(df, **kw))
        self.blocks.append(provenance(source, raw, sidecar))
        return self

    def figure(self, path: str, caption: str, width: str = "100%") -> Page:
        rel = Path("..", "..", path).as_posix()
        self.blocks.append(f".. figure:: {rel}\n   :width: {width}\n\n   {' '.join(caption.split())}")
        return self

    def render(self) -> str:
        head = f".. generated by ``{self.command}`` through experiments/_pages.py: do not edit by hand\n\n"
        head += f"{self.title}\n{'=' * len(self.title)}\n"
        return head + "\n\n" + "\n\n".join(self.blocks) + "\n"

    def write(self) -> Path:
        PAGES.mkdir(parents=True, exist_ok=True)
        path = PAGES / f"{self.name}.rst"
        path.write_text(self.render())
        print(f"wrote {path}")
        write_index()
        return path


INDEX_INTRO = """\
Every page in this section is written by the script that produces its results, from the CSVs it
writes (``experiments/results/``, ``benchmarks/results/``): the tables, the figures and every number
in the text come from those files (``python SCRIPT --page-only`` rewrites a page from the committed
CSVs). Under each table: the CSV it comes from, the machine it was measured on where the CSV
records it, and the date. Each experiment page begins with what its results show and what they do not."""


#: the order of the pages in the index (pages not listed follow, by name)
ORDER = (
    "alzheimer_spiking",
    "compare_engines",
    "robustness",
    "poisson_rate_code",
    "cap_drive",
    "propagation",
    "capacity",
    "interventions",
    "cortical",
    "discover",
    "scale",
    "end_to_end",
    "scaling",
    "peer_nest",
    "memory_estimate",
    "profile_alzheimer",
    "rate_projection",
)


def write_index() -> Path:
    """``docs/results/index.rst``: every generated page, experiments and benchmarks apart."""
    groups: dict[str, list[tuple[str, str]]] = {"experiments": [], "benchmarks": []}
    for f in sorted(PAGES.glob("*.rst")):
        if f.name == "index.rst":
            continue
        lines = f.read_text().splitlines()
        if not lines or not lines[0].startswith(".. generated by"):
            continue
        group = "benchmarks" if "benchmarks/" in lines[0] else "experiments"
        groups[group].append((f.stem, lines[2] if len(lines) > 2 else f.stem))
    out = [".. generated by experiments/_pages.py: do not edit by hand", "", "Results", "=======", "", INDEX_INTRO]
    for group, title in (("experiments", "Experiments"), ("benchmarks", "Benchmarks")):
        if not groups[group]:
            continue
        out += ["", title, "-" * len(title), "", ".. toctree::", "   :maxdepth: 1", ""]
        rank = {stem: i for i, stem in enumerate(ORDER)}
        out += [f"   {stem}" for stem, _ in sorted(groups[group], key=lambda x: (rank.get(x[0], len(rank)), x[0]))]
    path = PAGES / "index.rst"
    path.write_text("\n".join(out) + "\n")
    return path
