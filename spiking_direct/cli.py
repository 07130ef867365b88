"""``spiking-direct``: the command line (thin: parse, call the library, report)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .engines import get_engine
from .errors import CLIError, SpikingDirectError
from .seeds import parse_seeds


def _progress(quiet: bool):
    """Timed messages on stderr (with a progress bar of runtime simulations on a terminal), or silence."""
    from .api import progress_printer

    return (lambda msg: None) if quiet else progress_printer(bars=sys.stderr.isatty())


def _config(args):
    from .config import DEFAULT_LEARNING, LEARNING_RULES, RunConfig, apply_overrides

    cfg = RunConfig(model=args.scm, engine=args.engine, backend=args.backend, seed=0, data=getattr(args, "data", None))
    network = [f"spiking.network={args.network}"] if getattr(args, "network", None) else []
    cfg = apply_overrides(cfg, network + list(LEARNING_RULES[getattr(args, "learning", DEFAULT_LEARNING)]) + args.set)
    cfg.validate()
    return cfg


def _short(res: dict) -> str:
    m, mp, s, t = res["metrics_delta"], res["metrics_delta_prop"], res["summary"], res["timing"]
    return (
        f"seed {res['seed']}: delta P@K {m['precision_at_k']:.2f} AUROC {m['auroc']:.3f} | "
        f"delta_prop P@K {mp['precision_at_k']:.2f} AUROC {mp['auroc']:.3f} "
        f"(chance-corrected {_cc_p_at_k(res)}) | "
        f"overlap fwd {s['overlap_forward_mean']:.2f} (min {s['overlap_forward_min']:.2f}) "
        f"rev {s['overlap_reverse_mean']:.2f} | {_short_values(res)}build {t.get('build_s') or 0:.1f} s, "
        f"simulate {t.get('simulate_s') or 0:.1f} s, total {t['total_s']:.1f} s"
    )


def _cc_p_at_k(res: dict) -> str:
    """Precision@K of the chance-corrected ``delta_prop`` (``n/a`` for a result written without it)."""
    m = res.get("metrics_delta_prop_cc")
    return f"P@K {m['precision_at_k']:.2f}" if m else "n/a"


def _short_values(res: dict) -> str:
    """The value-level chance-corrected overlap of the true links, forward and reverse, for :func:`_short`."""
    vr = res.get("value_readout")
    if not vr or not vr.get("applicable"):
        return ""
    s = vr["summary"]

    def f(key):
        return "n/a" if s.get(key) is None else f"{s[key]:.2f}"

    return (
        f"value cc fwd {f('value_overlap_cc_forward_mean')} (other values {f('value_overlap_cc_other_forward_mean')}) "
        f"rev {f('value_overlap_cc_reverse_mean')} | "
    )


def cmd_run(args) -> int:
    """``spiking-direct run``: one DIRECT run; prints its headline and returns the exit status."""
    from dataclasses import replace

    from . import pipeline

    cfg = _config(args)
    seeds = parse_seeds(args.seeds) if args.seeds is not None else [args.seed]
    progress = _progress(args.quiet)
    base = (
        Path(args.out)
        if args.out
        else Path("runs") / f"{args.scm}_{cfg.engine}{'_' + cfg.backend if get_engine(cfg.engine).uses_backend else ''}"
    )
    rows = []
    for seed in seeds:
        out = base if len(seeds) == 1 else base / f"seed_{seed}"
        res = pipeline.run(replace(cfg, seed=seed), out=out, progress=progress, figures=not args.no_figures)
        print(_short(res), flush=True)
        rows.append(
            {
                "seed": seed,
                "dir": str(out),
                "metrics_delta": res["metrics_delta"],
                "metrics_delta_prop": res["metrics_delta_prop"],
                "metrics_delta_prop_cc": res.get("metrics_delta_prop_cc"),
                "summary": res["summary"],
                "timing": res["timing"],
            }
        )
    if len(seeds) > 1:
        from .results import write_json

        write_json(base / "seeds.json", {"scm": args.scm, "engine": cfg.engine, "seeds": rows})
        print(f"wrote {base / 'seeds.json'}")
    return 0


def cmd_discover(args) -> int:
    """``spiking-direct discover``: the assembly discovery protocol on a time series; returns the exit status."""
    from .discovery.run import discover

    scm = None if args.scm in ("none", "-") else args.scm
    name = scm or (Path(args.data).stem if args.data else "series")
    out = Path(args.out) if args.out else Path("runs") / f"{name}_discover_{args.engine}"
    res = discover(
        scm,
        args.data,
        T=args.T,
        autocorrelation=args.autocorrelation,
        engine=args.engine,
        rule=args.rule,
        seed=args.seed,
        null_runs=args.null_runs,
        out=out,
        figures=not args.no_figures,
        progress=_progress(args.quiet),
    )
    m = res.metrics
    head = f"{len(res.graph)} links learned above the time-shuffled null"
    if m:
        head += (
            f" ({m['graph_true_positives']} true, {m['graph_false_positives']} false, {m['graph_missed']} missed)"
            if "graph_true_positives" in m
            else ""
        )
        head += f" | AUROC {m['auroc']:.3f}, P@K {m['precision_at_k']:.2f}"
    print(head)
    for a, b in res.graph:
        print(f"  {a} -> {b}")
    print(f"wrote {out / 'result.json'}")
    return 0


def cmd_intervene(args) -> int:
    """``spiking-direct intervene``: answer do() queries from a saved run folder; returns the exit status."""
    import pandas as pd

    from .interventions import answer, load

    data = load(args.dir)
    do = {}
    for item in args.do:
        if "=" not in item:
            raise CLIError(f"--do expects VARIABLE=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        do[key.strip()] = value.strip()
    if not do:
        raise CLIError("give the intervention with --do VARIABLE=VALUE")
    rows = answer(data, do)
    table = pd.DataFrame(rows)
    with pd.option_context("display.max_rows", None, "display.width", 120):
        print(
            f"do({', '.join(f'{k} = {v}' for k, v in do.items())}) on the trained network in {args.dir} "
            f"({data.get('engine')}, seed {data.get('seed')}):"
        )
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}", na_rep="-"))
    return 0


def cmd_build(args) -> int:
    """``spiking-direct build``: generate and compile a standalone build to run elsewhere; returns the exit status."""
    from .export import export_build

    cfg = _config(args)
    from dataclasses import replace

    cfg = replace(cfg, seed=args.seed)
    out = export_build(cfg, args.out, compile=args.compile, progress=_progress(args.quiet))
    print(f"wrote {out} (build: cd {out} && make -j4 && ./main; then spiking-direct collect {out})")
    return 0


def cmd_collect(args) -> int:
    """``spiking-direct collect``: analyse the results of an exported build; returns the exit status."""
    from .export import collect

    res = collect(args.dir, out=args.out, figures=not args.no_figures, progress=_progress(args.quiet))
    print(_short(res))
    return 0


def cmd_compare(args) -> int:
    """``spiking-direct compare``: both engines on the same model and seeds; returns the exit status."""
    from .comparison import compare

    cfg = _config(args)
    seeds = parse_seeds(args.seeds)
    out = Path(args.out) if args.out else Path("runs") / f"{args.scm}_compare"
    comp = compare(cfg, seeds, out, progress=_progress(args.quiet), figures=not args.no_figures)
    for key in ("delta_prop", "delta"):
        ag = comp["agreement"][key]
        rel = ag["reliability"]
        print(
            f"{key} over the forward links: CCC {ag['ccc']:.3f} (95 % {ag['ccc_ci95'][0]:.3f} to "
            f"{ag['ccc_ci95'][1]:.3f}); split-half reliability rate {rel['rate']['spearman_brown']:.3f}, "
            f"spiking {rel['spiking']['spearman_brown']:.3f}; corrected CCC {ag['ccc_corrected']:.3f}"
        )
    print(
        f"Spearman rho of delta_prop over all ordered pairs (secondary): {comp['spearman_delta_prop_mean']:.3f} "
        f"(delta: {comp['spearman_delta_mean']:.3f}); wrote {out / 'comparison.json'}"
    )
    return 0


def cmd_models(args) -> int:
    """``spiking-direct models``: list the built-in and shipped causal models; returns the exit status."""
    from .api import causal_models as models

    if not args.details:
        for name in models():
            print(name)
        return 0
    table = models(details=True)
    print(table.to_string(index=False))
    return 0


def cmd_params(args) -> int:
    """``spiking-direct params``: list the parameters with their defaults and units; returns the exit status."""
    import pandas as pd

    from .api import params

    table = params(args.engine, network=args.network)
    if args.grep:
        table = table[table["path"].str.contains(args.grep) | table["doc"].str.contains(args.grep)]
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 90):
        print(table.to_string(index=False))
    return 0


def cmd_settings(args) -> int:
    """``spiking-direct settings``: show the settings and where each value comes from; returns the exit status."""
    from . import settings

    rows = [["setting", "value", "source", "variable", "default", "doc"]]
    rows += [[r["name"], r["value"], r["source"], r["variable"], r["default"], r["doc"]] for r in settings.listing()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    print(
        "\nsource: python (set in the program), environment (the variable) or default. "
        f"{settings.SEED_VARIABLE} is no setting: an exported build's ./main reads its seed from it."
    )
    return 0


def _learning(parser) -> None:
    from .config import DEFAULT_LEARNING, LEARNING_RULES
    from .engines.network import NETWORKS

    parser.add_argument(
        "--network",
        default=None,
        choices=list(NETWORKS),
        help="the spiking engine's circuit: clocked (window clock and counting cap, default) or cortical "
        "(conductance-based cells, delayed feedback inhibition, assemblies formed by plasticity)",
    )
    parser.add_argument(
        "--learning",
        default=DEFAULT_LEARNING,
        choices=list(LEARNING_RULES),
        help="learning rule of the coupling phase: counting (DIRECT as published, default) or "
        "conditional (weights estimate P(y | x): use it for do() queries); --set items win",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``argparse`` parser of the ``spiking-direct`` command and its subcommands."""
    p = argparse.ArgumentParser(
        prog="spiking-direct", description="Spiking neural assemblies that learn causal directions (DIRECT)."
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run DIRECT on a causal model and write result.json + figures")
    r.add_argument("scm", nargs="?", default="alzheimer", help="causal model (default: alzheimer; see 'models')")
    r.add_argument("--engine", default="spiking", help="spiking (default) or rate")
    r.add_argument("--backend", default="cpp_standalone", help="runtime, cpp_standalone (default), cuda_standalone")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--seeds", default=None, help="several seeds from one build, e.g. 0-4 or 1,3,5")
    r.add_argument("--out", default=None, help="output folder (default runs/<scm>_<engine>_<backend>)")
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. lead=5ms, spiking.stdp.w_max=12mV, control=zero_lead",
    )
    r.add_argument(
        "--data",
        default=None,
        metavar="FILE.csv",
        help="data table the coupling draws value pairs from (columns = variables; default: sampled)",
    )
    _learning(r)
    r.add_argument("--no-figures", action="store_true", help="skip the figures")
    r.add_argument("--quiet", action="store_true", help="no progress messages")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("discover", help="learn who drives whom from a time series (no link or lead given)")
    d.add_argument(
        "scm",
        nargs="?",
        default="alzheimer",
        help="causal model to simulate from or to check against "
        "(default: alzheimer; 'none' with --data: the data alone)",
    )
    d.add_argument("--data", default=None, metavar="SERIES.csv", help="time series: a time column, one per variable")
    d.add_argument("--T", type=int, default=1000, help="steps to simulate when no --data (default 1000)")
    d.add_argument("--autocorrelation", type=float, default=0.0, help="rho of the simulated series (default 0)")
    d.add_argument("--engine", default="rate", help="rate (default) or spiking")
    d.add_argument("--rule", default="predictive", help="predictive (default; conditions) or hebbian")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument(
        "--null-runs",
        type=int,
        default=19,
        help="time-shuffled runs calibrating the scores and the graph threshold (19; 0: raw, no graph)",
    )
    d.add_argument("--out", default=None, help="output folder (default runs/<scm>_discover_<engine>)")
    d.add_argument("--no-figures", action="store_true", help="skip the figure")
    d.add_argument("--quiet", action="store_true", help="no progress messages")
    d.set_defaults(func=cmd_discover)

    iv = sub.add_parser("intervene", help="answer do(X = x) with a trained run (one with intervene_reps > 0)")
    iv.add_argument("dir", help="the run folder (with interventions.json)")
    iv.add_argument("--do", action="append", default=[], metavar="VARIABLE=VALUE", help="the intervention")
    iv.set_defaults(func=cmd_intervene)

    cp = sub.add_parser("compare", help="run the rate and spiking engines on the same model and seeds")
    cp.add_argument("scm", nargs="?", default="alzheimer")
    cp.add_argument("--seeds", default="0-2", help="seeds, e.g. 0-5 (default 0-2)")
    cp.add_argument("--backend", default="cpp_standalone")
    cp.add_argument("--out", default=None, help="output folder (default runs/<scm>_compare)")
    cp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    _learning(cp)
    cp.add_argument("--no-figures", action="store_true")
    cp.add_argument("--quiet", action="store_true")
    cp.set_defaults(func=cmd_compare, engine="spiking")

    b = sub.add_parser("build", help="export a self-contained standalone build folder (C++ or CUDA)")
    b.add_argument("scm", nargs="?", default="alzheimer")
    b.add_argument("--backend", default="cpp_standalone", help="cpp_standalone (default) or cuda_standalone")
    b.add_argument("--out", required=True, help="new folder to write")
    b.add_argument("--seed", type=int, default=0, help="seed baked into the build (default 0)")
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    _learning(b)
    b.add_argument("--compile", action="store_true", help="also compile it here")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=cmd_build, engine="spiking")

    c = sub.add_parser("collect", help="turn a finished exported run into result.json and figures")
    c.add_argument("dir", help="the exported build folder, after make && ./main")
    c.add_argument("--out", default=None, help="where to write (default: the folder itself)")
    c.add_argument("--no-figures", action="store_true")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=cmd_collect)

    from . import sweep

    sweep.add_parser(sub)

    m = sub.add_parser("models", help="list the built-in and shipped causal models")
    m.add_argument("--details", action="store_true", help="variables, links and values of each (loads them all)")
    m.set_defaults(func=cmd_models)

    pa = sub.add_parser("params", help="every run parameter: path, default, unit, one-line doc")
    pa.add_argument("--engine", default=None, help="only the protocol's and this engine's (spiking or rate)")
    pa.add_argument("--grep", default=None, help="only rows whose path or doc contains this text")
    pa.add_argument("--network", default=None, help="only the parameters this spiking network uses (clocked, cortical)")
    pa.set_defaults(func=cmd_params)

    st = sub.add_parser("settings", help="how the package builds and runs: each setting, its value, source and doc")
    st.set_defaults(func=cmd_settings)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``spiking-direct``: parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return its
    exit status (2 with one line on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SpikingDirectError as exc:
        print(f"spiking-direct: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spiking-direct: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
