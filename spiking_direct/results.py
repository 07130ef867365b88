"""Result files: ``result.json`` (schema versioned) and ``recording.npz``, written atomically."""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import re
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

#: the layout of result.json: 2 holds the value-level rows in :data:`VALUE_ROWS_FILE` (1 held them inline;
#: :meth:`Result.load` reads both)
SCHEMA_VERSION = 2

#: unit of every chance-corrected column in the Result tables
CHANCE_CORRECTED = "chance-corrected, 0 = chance"
#: units of the value-level readout's columns in the Result tables
VALUE_UNITS = {
    "value_overlap": "fraction of assembly",
    "value_overlap_cc": CHANCE_CORRECTED,
    "value_overlap_other": "fraction of assembly",
    "value_overlap_cc_other": CHANCE_CORRECTED,
    "value_overlap_cc_coupled": CHANCE_CORRECTED,
    "value_overlap_cc_proportional": CHANCE_CORRECTED,
    "value_overlap_cc_coupled_proportional": CHANCE_CORRECTED,
}

#: columns of :attr:`Result.value_overlaps`
VALUES_COLUMNS = (
    "source",
    "source_value",
    "target",
    "value",
    "is_target_value",
    "is_coupled_target_value",
    "is_link",
    "direction",
    "cooccurrence",
    "source_rows",
    "coupled_cooccurrence",
    "target_ties",
    "responders",
    "assembly_size",
    "value_overlap",
    "value_overlap_cc",
)


def machine() -> str:
    """The CPU model, cores, memory and OS of this machine (for benchmark tables and result files)."""
    import subprocess

    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    fam = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        fam = f", family {info.get('CPU family', '?').strip()} model {info.get('Model', '?').strip()}"
    except (OSError, ValueError):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}{fam}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def versions() -> dict:
    """Python, platform, machine and package versions (a fresh dict; looked up once per process:
    ``lscpu`` and the package metadata cost about 30 ms, which every run in a sweep paid)."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform(), "machine": machine()}
    for pkg in (
        "spiking_direct",
        "brian2",
        "brian2cuda",
        "numpy",
        "scipy",
        "networkx",
        "pgmpy",
        "scikit-learn",
        "pandas",
        "matplotlib",
    ):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def jsonable(obj):
    """Parameters as JSON-ready values: quantities as their text (``'2. ms'``), recursively."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (bool, int, float, str)) or obj is None:
        return obj
    return str(obj)


def _clean(obj):
    """Replace non-finite floats by None (JSON has no NaN); Brian2 quantities become their text."""
    if type(obj) is float:  # the common case first (a large result holds millions)
        return obj if math.isfinite(obj) else None
    if type(obj) in (int, str, bool) or obj is None:
        return obj
    if hasattr(obj, "dim") and hasattr(obj, "dimensions"):  # a Brian2 Quantity (an ndarray subclass)
        return str(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    return obj


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


#: stands for a list of scalars in :func:`dumps` until its compact text is put in (NUL, which JSON
#: escapes, cannot come from a written string)
_HOLD = "\x00list{}\x00"
_HELD = re.compile(r'"\\u0000list(\d+)\\u0000"')  # how json.dumps writes _HOLD


def dumps(obj) -> str:
    """``obj`` as indented JSON with every list of scalars on one line (a matrix: one row per line;
    indenting each number would double the size of a large network's result), NumPy values as
    plain ones and non-finite floats as null."""
    held: list[str] = []

    def hold(o):
        if isinstance(o, dict):
            return {k: hold(v) for k, v in o.items()}
        if isinstance(o, list):
            if o and all(x is None or isinstance(x, (bool, int, float)) for x in o):
                held.append(json.dumps(o, separators=(", ", ": ")))
                return _HOLD.format(len(held) - 1)
            return [hold(x) for x in o]
        return o

    plain = _clean(obj)
    text = json.dumps(hold(plain), indent=1, default=_default)
    if len(_HELD.findall(text)) != len(held):  # a written string looks like a held list: no shortcut
        return json.dumps(plain, indent=1, default=_default)
    return _HELD.sub(lambda m: held[int(m.group(1))], text)


def write_json(path: Path, obj: dict) -> None:
    """``obj`` as indented JSON at ``path`` (:func:`dumps`), written atomically."""
    atomic_write_bytes(path, dumps(obj).encode())


#: stand-ins for ``timing.write_s`` and ``timing.total_s`` while :func:`write_json_timed` serialises
_WRITE_MARK, _TOTAL_MARK = -1.2345678901234567e300, -2.345678901234567e300


def write_json_timed(path: Path, obj: dict, t0: float, t_write: float) -> None:
    """:func:`write_json` of a result whose ``timing`` counts the writing: ``write_s``, the time from
    ``t_write`` (a ``time.perf_counter()`` reading taken before the run's other files were written),
    and ``total_s``, from ``t0``, both up to the end of serialising ``obj`` (the last write of the
    bytes is not counted); ``obj["timing"]`` gets the same values."""
    import time

    timing = obj["timing"]
    timing["write_s"], timing["total_s"] = _WRITE_MARK, _TOTAL_MARK
    text = dumps(obj)
    now = time.perf_counter()
    timing["write_s"], timing["total_s"] = now - t_write, now - t0
    for mark, value in ((_WRITE_MARK, timing["write_s"]), (_TOTAL_MARK, timing["total_s"])):
        text = text.replace(json.dumps(mark), json.dumps(value), 1)
    atomic_write_bytes(path, text.encode())


def as_written(obj):
    """``obj`` as :func:`write_json` writes it and :func:`read_json` reads it back
    (non-finite floats as None, NumPy values as plain ones): for comparing a live
    object with a stored one."""
    return json.loads(json.dumps(_clean(obj), default=_default))


def write_csv(path: Path, frame) -> None:
    """A ``pandas.DataFrame`` as CSV (no index), written atomically; gzip-compressed when ``path``
    ends in ``.gz`` (with no time stamp in the header, so the same table gives the same bytes)."""
    data = frame.to_csv(index=False).encode()
    if Path(path).suffix == ".gz":
        import gzip

        data = gzip.compress(data, compresslevel=9, mtime=0)
    atomic_write_bytes(path, data)


def write_json_gz(path: Path, obj) -> None:
    """``obj`` as compact JSON, gzip-compressed (no time stamp in the header, so the same object
    gives the same bytes), written atomically at ``path``."""
    import gzip

    text = json.dumps(_clean(obj), separators=(",", ":"), default=_default).encode()
    atomic_write_bytes(path, gzip.compress(text, compresslevel=6, mtime=0))


def read_json(path: Path) -> dict:
    """The JSON object stored at ``path`` (gzip-compressed when ``path`` ends in ``.gz``)."""
    if Path(path).suffix == ".gz":
        import gzip

        with gzip.open(path, "rt") as fh:
            return json.load(fh)
    with open(path) as fh:
        return json.load(fh)


#: the file of a run folder that holds the value-level readout's rows (``result["value_readout"]["rows"]``):
#: one row per (source, probed value, target) can run to tens of MB of JSON on a large network, so
#: ``result.json`` names the file (``"rows_file"``) instead of holding them
VALUE_ROWS_FILE = "value_readout_rows.json.gz"


def split_value_rows(result: dict) -> tuple[dict, list | None]:
    """``result`` as ``result.json`` holds it (the value-level rows replaced by the name of their
    file) and the rows to write to :data:`VALUE_ROWS_FILE` (None where there are none)."""
    vr = result.get("value_readout")
    if not vr or not vr.get("rows"):
        return result, None
    slim = {k: v for k, v in vr.items() if k != "rows"} | {"rows_file": VALUE_ROWS_FILE}
    return {**result, "value_readout": slim}, vr["rows"]


def write_npz(path: Path, **arrays) -> None:
    """``arrays`` as a compressed ``.npz`` file at ``path``, written atomically."""
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


class Result(dict):
    """One run's result.

    A mapping with exactly what ``result.json`` holds (``result["metrics_delta"]`` ...), and a
    typed view of it for interactive work:

    ``links``, ``pairs``, ``metrics``, ``cap``, ``value_overlaps``
        ``pandas.DataFrame`` tables (units in the column names: mV for the spiking engine's
        weights, a.u. for the rate engine's); ``value_overlaps`` holds the value-level
        propagation readout (:mod:`spiking_direct.value_readout`), whose per-pair and per-link
        means are columns of ``pairs`` and ``links``;
    ``state``
        the recorded state variables (``record=`` of :func:`spiking_direct.run`): a
        DataFrame with columns ``t (ms)``, ``neuron`` and one per variable (mV), or None;
    ``folder``
        the run folder holding ``result.json``, ``recording.npz`` and ``figures/`` (None
        for a result that was never written);
    ``figure(name)``
        a figure as a ``matplotlib.figure.Figure`` (also written to ``figures/``);
    ``intervene(do)``
        the trained network's answer to a do() query.

    ``Result.load(run_dir)`` reads a run folder back.
    """

    folder: Path | None = None

    @classmethod
    def load(cls, run_dir: str | Path) -> "Result":
        """The result of the run in ``run_dir`` (``result.json``, the value-level readout's rows
        from :data:`VALUE_ROWS_FILE`, and ``interventions.json`` when the run had an intervene phase)."""
        run_dir = Path(run_dir)
        path = run_dir / "result.json"
        if not path.exists():
            from .errors import ConfigError

            raise ConfigError(f"{run_dir} is not a run folder (no result.json)")
        res = cls(read_json(path))
        vr = res.get("value_readout") or {}
        if vr.get("rows_file"):
            rows_path = run_dir / vr["rows_file"]
            if not rows_path.exists():
                from .errors import ConfigError

                raise ConfigError(
                    f"{run_dir} lacks {vr['rows_file']}, which holds the value-level rows of its result.json"
                )
            vr["rows"] = read_json(rows_path)
        if (run_dir / "interventions.json").exists():
            res["interventions"] = read_json(run_dir / "interventions.json")
        if (run_dir / "state.npz").exists():
            with np.load(run_dir / "state.npz") as z:
                res["state"] = {k: z[k] for k in z.files if k != "units"} | {"units": json.loads(str(z["units"]))}
        res.folder = run_dir
        return res

    # -- tables ---------------------------------------------------------------
    @property
    def weight_unit(self) -> str:
        """The unit of weights and of ``delta`` (see :func:`spiking_direct.plots.weight_unit`)."""
        from .plots import weight_unit

        return weight_unit(self)

    def _frame(self, rows: list, units: dict):
        import pandas as pd

        frame = pd.DataFrame(rows)
        return frame.rename(columns={c: f"{c} ({u})" for c, u in units.items() if c in frame.columns})

    def _with_values(self, rows: list, block: str, keys: tuple) -> list:
        """``rows`` (dicts with source and target) with the columns ``keys`` of the value-level
        readout's ``block`` (``pairs`` or ``links``) joined on (source, target); None where the
        readout did not apply; ``rows`` as they are for a result without the readout."""
        vr = self.get("value_readout")
        if vr is None:
            return rows
        by = {(r["source"], r["target"]): r for r in vr.get(block) or []}
        return [{**r, **{k: by.get((r["source"], r["target"]), {}).get(k) for k in keys}} for r in rows]

    @property
    def links(self):
        """One row per true link: weights, ``delta``, ``delta_prop``, the propagation readout and the
        value-level one (``value_overlap_*``: see :mod:`spiking_direct.value_readout`)."""
        from .value_readout import LINK_KEYS

        u = self.weight_unit
        keys = tuple(f"{k}_{d}" for k in LINK_KEYS for d in ("forward", "reverse"))
        return self._frame(
            self._with_values(self.get("links", []), "links", keys),
            {
                "delta": u,
                "s_forward": u,
                "s_reverse": u,
                "delta_prop": "fraction",
                "delta_prop_cc": CHANCE_CORRECTED,
                "overlap_forward": "fraction",
                "overlap_reverse": "fraction",
                "overlap_cc_forward": CHANCE_CORRECTED,
                "overlap_cc_reverse": CHANCE_CORRECTED,
                **{k: VALUE_UNITS[k.rsplit("_", 1)[0]] for k in keys},
            },
        )

    @property
    def pairs(self):
        """One row per ordered pair of variables (``is_link`` marks the true links), with the
        value-level readout averaged over the probed values of the source (``value_overlap*``,
        ``value_target_ties``: values whose target value was a tie)."""
        u = self.weight_unit
        keys = (
            "value_overlap",
            "value_overlap_cc",
            "value_overlap_other",
            "value_overlap_cc_other",
            "value_overlap_cc_coupled",
            "value_overlap_cc_proportional",
            "value_overlap_cc_coupled_proportional",
        )
        rows = self._with_values(self.get("pairs", []), "pairs", keys + ("target_ties",))
        rows = [{(k if k != "target_ties" else "value_target_ties"): v for k, v in r.items()} for r in rows]
        return self._frame(
            rows,
            {
                "delta": u,
                "s": u,
                "delta_prop": "fraction",
                "delta_prop_cc": CHANCE_CORRECTED,
                "overlap": "fraction",
                "overlap_cc": CHANCE_CORRECTED,
                **{k: VALUE_UNITS[k] for k in keys},
                "value_target_ties": "values",
            },
        )

    @property
    def value_overlaps(self):
        """The value-level propagation readout (:mod:`spiking_direct.value_readout`), one row per
        source variable, probed value ``source_value``, target variable and value ``value`` of the
        target; ``is_target_value`` marks the value that co-occurs most with ``source_value`` in the
        data table (ties: the lowest value index, ``target_ties`` values tied), and
        ``is_coupled_target_value`` the one that co-occurs most with it in the rows that coupled
        the pair (``coupled_cooccurrence``; null for pairs the coupling never trained). Empty when the
        readout did not apply (``result["value_readout"]["reason"]`` says why) or is absent."""
        import pandas as pd

        vr = self.get("value_readout") or {}
        rows = []
        for r in vr.get("rows") or []:
            for b in r["by_value"]:
                rows.append(
                    {
                        "source": r["source"],
                        "source_value": r["source_value"],
                        "target": r["target"],
                        "value": b["value"],
                        "is_target_value": b["value"] == r["target_value"],
                        "is_coupled_target_value": b["value"] == r["coupled_target_value"],
                        "is_link": r["is_link"],
                        "direction": r["direction"],
                        "cooccurrence": b["cooccurrence"],
                        "source_rows": r["source_rows"],
                        "coupled_cooccurrence": b["coupled_cooccurrence"],
                        "target_ties": r["target_ties"],
                        "responders": r["responders"],
                        "assembly_size": b["assembly_size"],
                        "value_overlap": b["value_overlap"],
                        "value_overlap_cc": b["value_overlap_cc"],
                    }
                )
        units = {
            "cooccurrence": "rows",
            "source_rows": "rows",
            "coupled_cooccurrence": "rows",
            "target_ties": "values",
            "responders": "cells",
            "assembly_size": "cells",
            "value_overlap": VALUE_UNITS["value_overlap"],
            "value_overlap_cc": VALUE_UNITS["value_overlap_cc"],
        }
        if not rows:
            return pd.DataFrame(columns=[f"{c} ({units[c]})" if c in units else c for c in VALUES_COLUMNS])
        return self._frame(rows, units)

    @property
    def metrics(self):
        """Structure metrics of the readouts: one row per readout (``delta``, ``delta_prop`` and its
        chance-corrected form ``delta_prop_cc``, where the run has it)."""
        import pandas as pd

        rows = {"delta": self.get("metrics_delta", {}), "delta_prop": self.get("metrics_delta_prop", {})}
        if self.get("metrics_delta_prop_cc"):
            rows["delta_prop_cc"] = self["metrics_delta_prop_cc"]
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("readout")

    @property
    def cap(self):
        """Winners per window and area in each phase (cells), beside the target cap ``k``."""
        import pandas as pd

        cap = self.get("cap", {})
        rows = {phase: stats for phase, stats in cap.items() if isinstance(stats, dict) and "mean" in stats}
        frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis("phase")
        frame = frame.rename(columns={c: f"{c} (cells)" for c in ("mean", "std", "min", "max", "silent_max")})
        frame["k (cells)"] = cap.get("k")
        return frame

    @property
    def state(self):
        """Recorded state variables (long format), or None when nothing was recorded."""
        import pandas as pd

        rec = self.get("state")
        if not rec:
            return None
        t = np.asarray(rec["t_ms"], dtype=float)
        neurons = np.asarray(rec["neurons"], dtype=int)
        cols = {"t (ms)": np.tile(t, len(neurons)), "neuron": np.repeat(neurons, len(t))}
        for var, unit in rec["units"].items():
            cols[f"{var} ({unit})"] = np.asarray(rec[var], dtype=float).reshape(-1)
        return pd.DataFrame(cols)

    # -- figures and queries ----------------------------------------------------
    def figure(self, name: str):
        """Figure ``name`` (see :func:`spiking_direct.plots.names`) as a ``matplotlib.figure.Figure``;
        the PNG is written to the run folder's ``figures/`` too."""
        from . import plots
        from .errors import ConfigError

        if self.folder is None:
            raise ConfigError("this result has no run folder; run with out=... or load one with Result.load")
        return plots.figure(self.folder, name)

    def intervene(self, do: dict):
        """What the trained network answers to ``do(X = x)`` (one variable), beside the exact
        interventional distribution: a ``pandas.DataFrame`` with columns variable, value,
        predicted, exact, answered. ``result.intervene({"APOE4": "Carrier"})``."""
        import pandas as pd

        from .interventions import RERUN_HINT, InterventionError, answer

        iv = self.get("interventions")
        if iv is None:
            raise InterventionError(f"this run has no intervene phase; {RERUN_HINT}")
        return pd.DataFrame(answer(iv, do))

    # -- display ----------------------------------------------------------------
    def _headline(self) -> list[tuple[str, str]]:
        m, mp, s = (self.get(k) or {} for k in ("metrics_delta", "metrics_delta_prop", "summary"))
        mc = self.get("metrics_delta_prop_cc") or {}

        def f(x, spec=".2f"):
            return "n/a" if x is None else format(x, spec)

        backend = f" on {self['backend']}" if self.get("backend") else ""
        return [
            (
                "run",
                f"{self.get('scm')}, {self.get('engine')} engine{backend}, seed {self.get('seed')}, "
                f"learning {self.get('learning')}",
            ),
            ("model", f"{len(self.get('variables', []))} variables, {len(self.get('true_links', []))} links"),
            ("delta", f"P@K {f(m.get('precision_at_k'))}, AUROC {f(m.get('auroc'), '.3f')}"),
            ("delta_prop", f"P@K {f(mp.get('precision_at_k'))}, AUROC {f(mp.get('auroc'), '.3f')}"),
            ("delta_prop_cc", f"P@K {f(mc.get('precision_at_k'))}, AUROC {f(mc.get('auroc'), '.3f')}"),
            (
                "overlap",
                f"forward {f(s.get('overlap_forward_mean'))} (min {f(s.get('overlap_forward_min'))}), "
                f"reverse {f(s.get('overlap_reverse_mean'))}",
            ),
            *self._value_headline(f),
            ("time", f"{f((self.get('timing') or {}).get('total_s'), '.1f')} s"),
            ("folder", str(self.folder) if self.folder is not None else "(not written)"),
        ]

    def _value_headline(self, f) -> list[tuple[str, str]]:
        vr = self.get("value_readout")
        if vr is None:
            return []
        if not vr.get("applicable"):
            return [("value overlap", f"n/a: {vr.get('reason')}")]
        s = vr.get("summary") or {}
        return [
            (
                "value overlap",
                f"chance-corrected forward {f(s.get('value_overlap_cc_forward_mean'))} "
                f"({f(s.get('value_overlap_cc_forward_min'))} to {f(s.get('value_overlap_cc_forward_max'))}), "
                f"other values {f(s.get('value_overlap_cc_other_forward_mean'))}, "
                f"reverse {f(s.get('value_overlap_cc_reverse_mean'))}; "
                f"co-occurrence reference {f(s.get('value_overlap_cc_proportional_forward_mean'))}",
            )
        ]

    def __repr__(self) -> str:
        return "Result(\n" + "\n".join(f"  {k}: {v}" for k, v in self._headline()) + "\n)"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(v)}</td></tr>"
            for k, v in self._headline()
        )
        return f"<table><caption>spiking_direct Result</caption>{rows}</table>"
