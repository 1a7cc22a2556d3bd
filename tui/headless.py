"""`linreg train`: the engine without a screen. Prints the tutorial's epoch log, then true against learned
(a rich table on a terminal, plain columns when piped); optionally a JSON summary and files.

Exit status: 0 trained, 2 invalid input, 3 diverged, 130 interrupted (Ctrl+C), 143 terminated (SIGTERM),
129 hung up (SIGHUP), 141 when the reader of a pipe went away.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import nullcontext

from linreg_core.errors import ConfigError, DataError, LinregError
from tui.cli import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_OK, build_parser, fail, parse_config, refusal, runs_dir_of
from tui.text import divergence_text, epoch_line, num, param_names

PROG = "linreg train"


class Stopped(Exception):
    """A signal asked the run to stop; carries the exit status to use."""

    def __init__(self, status: int):
        self.status = status


def _raise_stopped(signum, _frame):
    raise Stopped(128 + signum)


def train_main(argv: list[str]) -> int:
    try:
        return _train(argv)
    except BrokenPipeError:
        # the reader (e.g. `head -1`) went away: stop quietly, as a C program killed by SIGPIPE would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _train(argv: list[str]) -> int:
    args = build_parser(PROG, headless=True).parse_args(argv)
    try:
        config = parse_config(args)
    except (ConfigError, DataError) as e:
        return fail(PROG, refusal(e))
    from linreg_core.export import history_csv, params_dict, dumps, write_atomic
    from linreg_core.results import DIVERGED, INTERRUPTED
    from linreg_core.summary import summarize
    from linreg_core.trainer import Trainer

    try:
        trainer = Trainer(config)
    except LinregError as e:
        return fail(PROG, refusal(e))
    for notice in trainer.notices:
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stopped)
    runs_dir = runs_dir_of(args)
    recorder = None
    if runs_dir is not None:
        from linreg_core.runs import RunRecorder
        ds = trainer.experiment.dataset
        recorder = RunRecorder(runs_dir, config, ds.feature_names, ds.target_name)
        _report_write(recorder)
    tty = sys.stdout.isatty()
    epochs, status_override, exit_status = [], None, EXIT_OK
    try:
        with _progress(tty, config.train.epochs) as progress:
            for result in trainer.run(chunk=trainer.batches_per_epoch):
                e = result.epoch_result
                if e is not None:
                    epochs.append(e)
                    if recorder is not None:
                        recorder.add_epoch(e)
                    _print_line(progress, epoch_line(e.epoch, e.loss_sum))
                    if progress is not None:
                        progress.advance(progress.task_ids[0])
    except KeyboardInterrupt:
        status_override, exit_status = INTERRUPTED, EXIT_INTERRUPTED
    except Stopped as s:
        status_override, exit_status = INTERRUPTED, s.status
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the files below are written whole
        signal.signal(sig, signal.SIG_IGN)
    summary = summarize(trainer, status_override)
    if recorder is not None:
        recorder.finish(summary.weights, summary.bias, summary.as_dict())
        recorder.close()
        if not _report_write(recorder):
            exit_status = exit_status or 1
        elif recorder.folder is not None:
            print(f"{PROG}: run kept in {recorder.folder}", file=sys.stderr)
    if summary.status == DIVERGED:
        print(f"{PROG}: {divergence_text(trainer.divergence)}", file=sys.stderr)
        exit_status = EXIT_DIVERGED
    _print_summary(summary, tty)
    names = summary.feature_names
    writes = []
    if args.history:
        writes.append((args.history, history_csv(epochs, names)))
    if args.save_params:
        writes.append((args.save_params, dumps(params_dict(summary.weights, summary.bias, names, summary.target_name))
                       + "\n"))
    for path, text in writes:
        try:
            write_atomic(path, text)
        except OSError as e:
            print(f"{PROG}: could not write {path}: {e.strerror or e}", file=sys.stderr)
            exit_status = exit_status or 1
    if args.json:
        print(dumps(summary.as_dict()), flush=True)
    sys.stdout.flush()
    return exit_status


def _report_write(recorder) -> bool:
    """Say once per failure that the runs folder could not be written; True when all is on disk."""
    if recorder.error is None:
        return True
    print(f"{PROG}: {recorder.error}; the run continues (use --runs-dir DIR or --no-save)", file=sys.stderr)
    return False


def _progress(tty: bool, epochs: int):
    if not tty:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        transient=True)
    progress.add_task("epochs", total=epochs)
    return progress


def _print_line(progress, line: str) -> None:
    if progress is None:
        print(line, flush=False)
    else:
        progress.console.print(line, markup=False, highlight=False)


def _rows(s):
    """(name, true, learned, least squares, |learned − true|) per parameter, as text."""
    true = list(s.true_weights) + [s.true_bias] if s.true_weights is not None else [None] * (len(s.weights) + 1)
    learned = list(s.weights) + [s.bias]
    ls = list(s.ls_weights) + [s.ls_bias]
    for name, t, l, o in zip(param_names(s.feature_names), true, learned, ls):
        err = None if t is None else abs(l - t)
        yield name, num(t), num(l), num(o), num(err)


def _metrics_line(name: str, m) -> str:
    return f"{name}: loss {num(m.loss)}  mse {num(m.mse)}  rmse {num(m.rmse)}  mae {num(m.mae)}  r² {num(m.r2)}"


def _print_summary(s, tty: bool) -> None:
    header = ("parameter", "true", "learned", "least squares", "|learned − true|")
    rows = list(_rows(s))
    metric_lines = [_metrics_line("train", s.train)] + ([_metrics_line("test", s.test)] if s.test else [])
    title = f"{s.status} after {s.epochs} epochs, {s.steps} steps"
    if tty:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i == 0 else "right")
        for r in rows:
            table.add_row(*r)
        console = Console()
        console.print(table)
        for line in metric_lines:
            console.print(line, markup=False, highlight=False)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(title)
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    for line in metric_lines:
        print(line)
