"""Running a sweep on ``dask.distributed`` (:func:`run_sweep`): the client and its cluster,
pinned task submission, progress and lost-worker recovery (``_Runner``), then the summary
table and figure."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Callable

from .. import settings as _settings
from ..errors import SweepError
from ..results import VALUE_ROWS_FILE
from .figure import sweep_figure
from .grid import Sweep
from .plan import network_shape, plan
from .spec import RunSpec
from .summary import summarize, write_table
from .task import _status_of, execute_run, write_error

SCHEDULER_ENV = _settings.SETTINGS["scheduler"].variable
MAX_ATTEMPTS = 3  # tries of a run whose worker process dies under it


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def default_workers() -> int:
    """The number of CPUs this process may use (its affinity mask), the default number of Dask workers."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _dashboard(client) -> str:
    import importlib.util

    link = getattr(client, "dashboard_link", None)
    if not link:
        return "dashboard: not available"
    if importlib.util.find_spec("bokeh") is None and client.cluster is not None:
        return f"dashboard: {link} (needs bokeh: pip install bokeh)"
    return f"dashboard: {link}"


def _workers_info(client) -> dict:
    """Worker address -> info, for every worker (``n_workers=-1``: some versions default to 5)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:
        info = client.scheduler_info()
    return dict(info.get("workers", {}))


class _Runner:
    """Submits pinned tasks, follows them with ``as_completed`` and reports progress."""

    def __init__(self, client, out: Path, figures: bool, progress, n_total: int, n_skipped: int, n_failed_before: int):
        from distributed import as_completed

        self.client, self.out, self.figures, self.progress = client, out, figures, progress
        self.ac = as_completed()
        self.active: dict = {}  # future key -> (future, spec, pinned worker address or None)
        self.attempts: dict[str, int] = {}
        self.names: dict[str, str] = {}  # worker address -> name
        self.n_total, self.skipped, self.failed_before = n_total, n_skipped, n_failed_before
        self.done = self.failed = 0
        self.t0 = time.perf_counter()
        self.token = os.urandom(3).hex()
        self.index = 0

    def _submit(self, spec: RunSpec, addr: str):
        from ..results import write_json

        run_dir = self.out / "runs" / spec.key
        if not (run_dir / "spec.json").is_file():
            write_json(run_dir / "spec.json", spec.to_dict())
        n = self.attempts.get(spec.key, 0)
        self.index += 1
        pin = {"workers": [addr], "allow_other_workers": False} if addr is not None else {}
        fut = self.client.submit(
            execute_run,
            spec.to_dict(),
            str(run_dir),
            self.figures,
            key=f"direct_run-{spec.key}-{self.token}-{n}",
            priority=-self.index,
            pure=False,
            retries=0,
            **pin,
        )
        self.active[fut.key] = (fut, spec, addr)
        self.ac.add(fut)

    def submit(self, assignment: dict[str | None, list[list[RunSpec]]]) -> None:
        info = _workers_info(self.client)
        self.names = {a: str(w.get("name", a)) for a, w in info.items()}
        for addr, chunks in assignment.items():
            for chunk in chunks:
                for spec in chunk:
                    self._submit(spec, addr)

    def _line(self, what: str) -> str:
        finished = self.done + self.failed
        remaining = self.n_total - self.skipped - self.failed_before - finished
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / finished * remaining if finished else None
        return (
            f"[{finished + self.skipped + self.failed_before:>{len(str(self.n_total))}}/{self.n_total}] "
            f"{what} | done {self.done}, failed {self.failed}, skipped {self.skipped + self.failed_before}, "
            f"remaining {remaining} | elapsed {_fmt_time(elapsed)}, left ~{_fmt_time(eta) if remaining else '0:00'}"
        )

    def _reassign_lost(self) -> None:
        """Tasks pinned to a worker that left would wait forever: pin them elsewhere
        (to the restarted worker of the same name when there is one)."""
        info = _workers_info(self.client)
        live = {a: str(w.get("name", a)) for a, w in info.items()}
        if not live:
            return
        lost = {addr for (_, _, addr) in self.active.values() if addr is not None} - set(live)
        if not lost:
            return
        by_name = {n: a for a, n in live.items()}
        load = {a: 0 for a in live}
        for _, _, addr in self.active.values():
            if addr in load:
                load[addr] += 1
        moved: dict[str, str] = {}
        for fkey, (fut, spec, addr) in list(self.active.items()):
            if addr not in lost or fut.done():
                continue
            new = moved.get(addr) or by_name.get(self.names.get(addr, "")) or min(load, key=load.get)
            moved[addr] = new
            del self.active[fkey]
            fut.cancel()
            self.attempts[spec.key] = self.attempts.get(spec.key, 0) + 1
            if self.attempts[spec.key] >= MAX_ATTEMPTS:
                write_error(
                    self.out / "runs" / spec.key,
                    spec.to_dict(),
                    f"its worker process died {MAX_ATTEMPTS} times (killed? out of memory?)",
                )
                self.failed += 1
                self.progress(self._line(f"FAILED {spec.key}: worker lost {MAX_ATTEMPTS} times"))
                continue
            load[new] += 1
            self._submit(spec, new)
        for old, new in moved.items():
            self.progress(
                f"worker {self.names.get(old, old)} ({old}) left; its runs go to {live.get(new, new)} ({new})"
            )
        self.names.update(live)

    def follow(self) -> None:
        last_check = time.perf_counter()
        while self.active:
            batch = self.ac.next_batch(block=False)
            if not batch:
                if time.perf_counter() - last_check > 2.0:
                    self._reassign_lost()
                    last_check = time.perf_counter()
                time.sleep(0.1)
                continue
            for fut in batch:
                entry = self.active.pop(fut.key, None)
                if entry is None:  # cancelled and resubmitted elsewhere
                    continue
                _, spec, addr = entry
                if fut.status == "finished":
                    r = fut.result()
                    if r["status"] == "ok":
                        self.done += 1
                        build = (
                            "reused build"
                            if r.get("reused_build")
                            else (f"build {r['build_s']:.1f} s" if r.get("build_s") else "")
                        )
                        what = (
                            f"ok     {spec.key} ({r['wall_s']:.1f} s on worker {r['worker']}"
                            f"{', ' + build if build else ''})"
                        )
                    else:
                        self.failed += 1
                        what = f"FAILED {spec.key}: {r['message']}"
                else:  # the task itself raised (worker died, cancelled, ...)
                    self.failed += 1
                    try:
                        exc = fut.exception()
                        tb = "".join(traceback.format_tb(fut.traceback())) if fut.traceback() else ""
                    except Exception as e:  # cancelled futures have no exception
                        exc, tb = e, ""
                    write_error(self.out / "runs" / spec.key, spec.to_dict(), exc, tb, self.names.get(addr, addr))
                    what = f"FAILED {spec.key}: {type(exc).__name__}: {exc}"
                self.progress(self._line(what))


def _brian2_plugin():
    """A worker plugin that imports Brian2 in the worker's main thread (its setup runs on the
    worker's event loop), on the workers there are and on those that start later. Brian2 2.10
    installs a SIGINT handler when it is imported, which Python allows only in the main thread:
    imported first by a task (a worker runs tasks in another thread), it raised ValueError."""
    from distributed import WorkerPlugin

    class ImportBrian2(WorkerPlugin):
        name = "spiking_direct-import-brian2"

        def setup(self, worker):
            import brian2  # noqa: F401

    return ImportBrian2()


def _client(scheduler: str | None, n_workers: int):
    """(client, cluster or None): a client of ``scheduler`` or of a new LocalCluster."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        return client, None
    # workers that compile at the same time share the cores instead of each using all of them
    _settings.to_environ(make_jobs=max(1, (os.cpu_count() or 1) // max(1, n_workers)))
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    scheduler: str | None = None,
    workers: int | None = None,
    retry_failed: bool = False,
    progress: Callable[[str], None] | None = print,
    figures: bool | None = None,
    split_shapes: bool | None = None,
):
    """Run ``sweep`` into ``out`` on Dask; returns the summary table (a pandas DataFrame).

    ``scheduler``: address of a running scheduler (default ``$DASK_SCHEDULER_ADDRESS``, else a
    LocalCluster of ``workers`` single-threaded processes, default one per core). Finished runs
    are skipped; failed runs too unless ``retry_failed``. Workers must see ``out`` (same path).
    ``figures`` and ``split_shapes`` default to the sweep's options (see :func:`plan`).
    """
    from ..results import write_json

    progress = progress or (lambda msg: None)
    if workers is not None and int(workers) < 1:
        raise SweepError(f"workers must be >= 1, got {workers}")
    configs = dict(zip((s.key for s in sweep), sweep.validate()))
    figures = sweep.figures if figures is None else bool(figures)
    split_shapes = sweep.split_shapes if split_shapes is None else bool(split_shapes)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "sweep.json", sweep.to_dict())
    status = {s.key: _status_of(out / "runs" / s.key, configs[s.key].to_dict()) for s in sweep}
    pending = [
        s for s in sweep if status[s.key] in ("pending", "stale") or (retry_failed and status[s.key] == "failed")
    ]
    n_ok = sum(v == "ok" for v in status.values())
    n_stale = sum(v == "stale" for v in status.values())
    n_failed = sum(v == "failed" for v in status.values()) if not retry_failed else 0
    progress(f"sweep{' ' + sweep.name if sweep.name else ''}: {len(sweep)} runs -> {out}")
    if n_ok or n_failed:
        progress(
            f"skipping {n_ok} finished run(s)"
            + (f" and {n_failed} failed run(s) (--retry-failed to re-run them)" if n_failed else "")
        )
    if n_stale:
        progress(
            f"re-running {n_stale} finished run(s) whose result.json records other parameters "
            "(package defaults changed since); the old results are kept as result.stale.json"
        )
        for key, st in status.items():
            if st == "stale":
                run_dir = out / "runs" / key
                os.replace(run_dir / "result.json", run_dir / "result.stale.json")
                if (run_dir / VALUE_ROWS_FILE).exists():  # the rows the stale result.json names
                    os.replace(run_dir / VALUE_ROWS_FILE, run_dir / f"stale.{VALUE_ROWS_FILE}")
    if pending:
        scheduler = scheduler or _settings.scheduler
        n_workers = max(1, min(int(workers) if workers else default_workers(), len(pending)))
        client, cluster = _client(scheduler, n_workers)
        try:
            client.register_plugin(_brian2_plugin())
            if scheduler:
                progress(f"scheduler {scheduler}" + (" (workers= applies to local clusters only)" if workers else ""))
                client.wait_for_workers(1, timeout=60)
            progress(_dashboard(client))
            addrs = sorted(_workers_info(client))
            models: dict = {}
            shapes = {s.key: network_shape(s, configs[s.key], models) for s in pending}
            assignment = plan(pending, addrs, shapes, split=split_shapes)
            n_groups = len(set(shapes.values()) - {None})
            n_free = sum(v is None for v in shapes.values())
            progress(
                f"{len(pending)} run(s) to do on {len(addrs)} worker(s): "
                + ", ".join(
                    (
                        [f"{len(pending) - n_free} in {n_groups} compiled network shape(s), each pinned to one worker"]
                        if n_groups
                        else []
                    )
                    + ([f"{n_free} on any free worker"] if n_free else [])
                )
            )
            runner = _Runner(client, out, figures, progress, len(sweep), n_ok, n_failed)
            runner.submit(assignment)
            runner.follow()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    df = summarize(sweep, out)
    write_table(df, out)
    try:
        path = sweep_figure(df, out / "sweep.png")
    except Exception as exc:  # a figure must not lose the table
        progress(f"no sweep figure: {type(exc).__name__}: {exc}")
        path = None
    counts = df["status"].value_counts().to_dict()
    progress(
        f"{counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed of {len(df)}; wrote "
        f"{out / 'summary.csv'}, {out / 'summary.parquet'}" + (f", {path}" if path else "")
    )
    return df
