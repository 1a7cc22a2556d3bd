"""`linreg train`: the run controller without a screen. Prints the tutorial's epoch log, then true against
learned (a rich table on a terminal, plain columns when piped); optionally a JSON summary and files.

Exit status: 0 trained, 1 a file could not be written, 2 invalid input, 3 diverged, 130 interrupted
(Ctrl+C), 143 terminated (SIGTERM), 129 hung up (SIGHUP), 141 when the reader of a pipe went away.

Signals only set a flag (installed before torch is imported, so Ctrl+C at any moment is a clean exit): the
loop checks it between chunks of steps and ends the run in order, so a history row is never cut or written
twice and the run's params.json and summary.json are always written.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager, nullcontext

from linreg_core.session.commands import Start
from linreg_core.settings.errors import LinregError
from linreg_core.model.results import Outcome, Seen, Status
from tui.options import EXIT_DIVERGED, EXIT_OK, build_parser, fail, parse_config, refusal, runs_dir_of
from tui.text import (LOSS_NAMES, changes_text, diagnosis_headline, diagnosis_lines, divergence_text, epoch_line, num,
                      param_names, plural)

PROG = "linreg train"
EXIT_WRITE, EXIT_PIPE = 1, 141
TRACE_STEPS = 32  # --trace's steps when --trace-steps is not given
CHUNK = 1024  # steps between two looks at the signal flag (about 20 ms on the tutorial's data)
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


WRITE_GRACE_S = 0.25  # after a signal, how long a write to a reader that stopped reading may still wait


class Interrupted(Exception):
    """A signal arrived while the program waited (in a write to a reader that stopped reading, or loading
    torch): what it waited on is abandoned, and the program ends with the signal's status."""


class StopFlag:
    """The first of SIGINT/SIGTERM/SIGHUP asks the run to stop (the loop looks at `signum` between chunks, so
    the run's end is written whole); later ones only keep it asked. No signal is ever ignored: inside
    `waiting(grace)` (a write to a reader that may stop reading, loading torch) a signal ends the wait after
    at most `grace` seconds (an interval timer's SIGALRM raises Interrupted; Python does not retry the system
    call a raising handler interrupted, PEP 475). A write that completes within the grace is not cut."""

    def __init__(self):
        self.signum: int | None = None
        self._grace: float | None = None  # inside waiting(): how long a signal lets the wait go on
        for sig in SIGNALS:
            signal.signal(sig, self._note)
        signal.signal(signal.SIGALRM, self._overdue)

    def _note(self, signum, _frame) -> None:
        if self.signum is None:
            self.signum = signum
        if self._grace is not None:
            self._arm()

    def _overdue(self, _signum, _frame) -> None:
        if self._grace is not None:
            raise Interrupted(self.signum)

    def _arm(self) -> None:
        if self._grace <= 0:
            raise Interrupted(self.signum)
        if signal.getitimer(signal.ITIMER_REAL)[0] == 0:  # a second signal does not push the deadline back
            signal.setitimer(signal.ITIMER_REAL, self._grace)

    @contextmanager
    def waiting(self, grace: float = WRITE_GRACE_S):
        """A stretch that may block for as long as someone else likes: after a signal (before or during
        it), it may go on for `grace` seconds more, then raises Interrupted."""
        self._grace = grace
        try:
            if self.signum is not None:
                self._arm()
            yield
        finally:
            self._grace = None
            signal.setitimer(signal.ITIMER_REAL, 0)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def finished(status: int) -> int:
    """Everything is written and the exit status decided: a signal from here on changes nothing. (While
    Python shuts down it puts the default handlers back, and a second signal of a pair, TERM after HUP,
    would kill the process by its default action, exit status -15, instead of the first one's 129.)"""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    return status


def train_main(argv: list[str]) -> int:
    args = build_parser(PROG, headless=True).parse_args(argv)
    stop = StopFlag()
    try:
        config = parse_config(args)
        check_outputs(args, [config])
    except LinregError as e:
        return fail(PROG, refusal(e))
    try:
        with stop.waiting(grace=0):
            from linreg_core.session.controller import RunController  # imports torch: a second or two
    except Interrupted:
        return stop.exit_status
    out = _Output(sys.stdout, stop)
    saving = _SavingReport()
    ctl = RunController(saving.on_event, runs_dir_of(args))
    from linreg_core.analysis.advice import follow
    from linreg_core.analysis.summary import summarize

    following = args.follow_advice is not None
    trace = _Trace(args.trace, args.trace_steps or TRACE_STEPS, out) if args.trace else None  # round 1's
    epochs: list = []
    number = 0  # the round being trained

    header = None  # the round's header, printed once its settings are loaded (a refused CSV: none printed)

    def train(config):
        nonlocal epochs, number, header
        number += 1
        ctl.load(config)  # a LinregError: refused below, exit 2
        if header is not None:
            out.text(header)
            header = None
        for notice in ctl.trainer.notices:
            print(f"{PROG}: note: {notice}", file=sys.stderr)
        epochs = _train(ctl, config, out, stop, trace if number == 1 and trace is not None else None)
        if ctl.run_open:  # a signal or a closed pipe: the run ends here, on disk too
            ctl.end(Outcome.INTERRUPTED)
        return ctl.last_summary or summarize(ctl.trainer, Outcome.INTERRUPTED)

    def on_start(round_number, changes):
        nonlocal header
        if following:
            header = _round_header(round_number, changes) + "\n"

    def on_end(done, advice, refused):
        if following:
            out.text(_round_result(done.summary, advice, done.number > (args.follow_advice or 0)) + "\n")
            if refused is not None:
                out.text(f"  the advice cannot be followed: {refusal(refused)}\n")

    try:
        rounds = follow(config, args.follow_advice or 0, train, on_start, on_end,
                        stopped=lambda: stop.signum is not None or out.broken)
    except LinregError as e:
        if trace is not None:
            trace.abandon()  # nothing was traced: the file stays as it was
        return fail(PROG, refusal(e))
    if trace is not None:
        trace.finish()
        if trace.error:
            print(f"{PROG}: could not write {args.trace}: {trace.error}", file=sys.stderr)
    status = _report(args, ctl, epochs, out, saving, stop, rounds if following else None)
    return status or (EXIT_WRITE if trace is not None and trace.error else 0)


def _train(ctl, config, out, stop, trace) -> list:
    """One run to its end (or a signal, or a closed stdout), printing the epoch log; its EpochResults."""
    epochs = []
    ctl.handle(Start())
    with _progress(out.isatty(), config.train.epochs) as progress:
        while ctl.wants_steps and stop.signum is None and not out.broken:
            chunk = 1 if trace is not None and trace.wants_more else min(CHUNK, ctl.trainer.batches_per_epoch)
            results = ctl.advance(chunk)
            if trace is not None and trace.wants_more and results and results[-1].status != Status.DIVERGED:
                trace.add(ctl.trainer)
            for r in results:
                e = r.epoch_result
                if e is not None:
                    epochs.append(e)
                    out.line(progress, epoch_line(e.epoch, e.loss_sum))
                    if progress is not None:
                        progress.advance(progress.task_ids[0])
            ctl.flush()  # the controller's progress buffer: nobody here reads it
    return epochs


def _round_header(number: int, changes: dict) -> str:
    """`round 2: standardize yes, lr 1.1`: what following the advice changed (the first round: as given)."""
    return f"round {number}: " + (changes_text(changes) if changes else "the settings as given")


def _round_result(summary, advice, last_round: bool = False) -> str:
    """`round 1 ended: not converged, R² 0.0700 (least squares 0.5177), 27% of the way; next: …`"""
    way = "" if summary.status == Outcome.DIVERGED else f", {max(summary.progress, -9.99):.0%} of the way to the optimum"
    text = (f"  ended {summary.verdict}: R² {num(summary.train.r2)} (least squares {num(summary.ls_train.r2)}){way}")
    if advice is not None:
        return text + f"; following its advice: {changes_text(advice.changes)}"
    if summary.converged:
        return text
    d = summary.diagnosis
    why = "" if d is None or not d.causes else "; " + diagnosis_lines(d.as_dict())[0]
    if summary.status == Outcome.INTERRUPTED:
        return text
    ended = "the rounds asked for are used up (--follow-advice N for more)" if last_round and d is not None \
        and d.advice is not None else "no advice left to follow"
    return text + f"; {ended}{why}"


class _Trace:
    """--trace FILE.jsonl: the first `steps` steps under the microscope (linreg_core/analysis/microscope.py), one strict
    JSON object a line, written as each step is taken: to stdout in order when the file is stdout, else to a
    temporary file that replaces FILE at the end (finish(), also after a signal): never a torn file."""

    def __init__(self, path: str, steps: int, out):
        from linreg_core.storage.export import AtomicFile
        from linreg_core.settings.outputs import written_through

        self.steps, self.written, self.error = steps, 0, None
        self.out = out if written_through(path) else None
        self.file = None
        if self.out is None:
            try:
                self.file = AtomicFile(path)
            except OSError as e:
                self.error = e.strerror or str(e)

    @property
    def wants_more(self) -> bool:
        return self.written < self.steps and self.error is None

    def add(self, trainer) -> None:
        from linreg_core.storage.export import dumps
        from linreg_core.analysis.microscope import last_step

        record = last_step(trainer)
        if record is None:
            return
        line = dumps(record) + "\n"
        self.written += 1
        if self.out is not None:
            self.out.text(line)
            return
        try:
            self.file.write(line)
            if not self.wants_more:
                self.finish()
        except OSError as e:
            self.error = e.strerror or str(e)
            self.file.abort()

    def abandon(self) -> None:
        if self.file is not None:
            self.file.abort()

    def finish(self) -> None:
        """Put what was traced in place (the run ended, or was interrupted, before `steps` steps)."""
        if self.file is None or self.error is not None:
            return
        try:
            self.file.commit()
        except OSError as e:
            self.error = e.strerror or str(e)


def _report(args, ctl, epochs, out, saving, stop, rounds=None) -> int:
    from linreg_core.storage.export import dumps, history_csv, params_dict, write_file
    from linreg_core.settings.outputs import is_stdout
    from linreg_core.model.results import DIVERGED
    from linreg_core.analysis.summary import summarize

    summary = ctl.last_summary or summarize(ctl.trainer, Outcome.INTERRUPTED)  # interrupted before the first step
    status = EXIT_OK
    if saving.error is not None:
        status = EXIT_WRITE
    elif saving.folder is not None:
        print(f"{PROG}: run kept in {saving.folder}", file=sys.stderr)
    if summary.status == DIVERGED:
        causes = diagnosis_lines(summary.diagnosis.as_dict()) if summary.diagnosis else []
        print("\n".join([f"{PROG}: {divergence_text(ctl.trainer.divergence)}", *(f"  → {c}" for c in causes)]),
              file=sys.stderr)
        status = EXIT_DIVERGED
    names = summary.feature_names
    writes = []
    if args.history:
        writes.append((args.history, history_csv(epochs, names)))
    if args.save_params:
        writes.append((args.save_params,
                       dumps(params_dict(summary.weights, summary.bias, names, summary.target_name)) + "\n"))
    for path, text in writes:
        if is_stdout(path):  # /dev/stdout, or the file stdout goes to: in order, after the log
            out.text(text)
            continue
        try:
            write_file(path, text)
        except OSError as e:
            print(f"{PROG}: could not write {path}: {e.strerror or e}", file=sys.stderr)
            status = status or EXIT_WRITE
    out.summary(summary)
    if args.json:
        record = summary.as_dict()
        from tui.theory_cli import theory_record
        record["theory"] = theory_record(ctl.trainer)
        if rounds is not None:  # --follow-advice: every round, the last being the one reported above
            record["rounds"] = [r.as_dict() for r in rounds]
        out.text(dumps(record) + "\n")
    out.close()
    if stop.signum is not None:
        return stop.exit_status
    if out.broken:
        return EXIT_PIPE
    if out.error is not None:
        print(f"{PROG}: could not write the output: {out.error}", file=sys.stderr)
        return status or EXIT_WRITE
    return status


def check_outputs(args, configs) -> None:
    """Refuse before training what would only fail after it, or write over what is not the user's output
    (linreg_core/settings/outputs.py): every output against every lane's inputs and every other output."""
    from linreg_core.settings.errors import ConfigError
    from linreg_core.settings.outputs import check_outputs as check_paths

    save_params = getattr(args, "save_params", None)  # (linreg sweep has none)
    trace = getattr(args, "trace", None)
    steps = getattr(args, "trace_steps", None)
    if steps is not None and not 1 <= steps <= 1_000_000:
        raise ConfigError({"--trace-steps": f"expected a whole number from 1 to 1000000, got {steps}"})
    follow = getattr(args, "follow_advice", None)
    if follow is not None and not 1 <= follow <= 20:
        raise ConfigError({"--follow-advice": f"expected a whole number from 1 to 20, got {follow}"})
    if steps is not None and not trace:
        raise ConfigError({"--trace-steps": "only applies with --trace FILE.jsonl"})
    outputs = [("--history", args.history), ("--save-params", save_params), ("--trace", trace)]
    check_paths(outputs, [("--config", args.config), *inputs_of(configs)])


def inputs_of(configs) -> list[tuple[str, str | None]]:
    """Every file any lane reads: its CSV and its initial parameters."""
    return [pair for c in configs for pair in (("--csv", c.data.csv), ("--init-params", c.init_params))]


class _SavingReport:
    """The controller's events, as far as `linreg train` prints them: where the run is kept, write errors."""

    def __init__(self):
        self.folder: str | None = None
        self.error: str | None = None

    def on_event(self, event) -> None:
        from linreg_core.session.events import Saving

        if not isinstance(event, Saving):
            return
        folder, error = event.folder, event.error
        self.folder = folder
        if error is not None and error != self.error:  # once per failure
            print(f"{PROG}: {error}; the run continues (use --runs-dir DIR or --no-save)", file=sys.stderr)
        self.error = error


class _Output:
    """stdout that survives its reader: a closed pipe (`| head -1`) or a full disk stops the output, never
    the run's end on disk, and never becomes a traceback."""

    def __init__(self, stream, stop: StopFlag | None = None):
        self.stream, self.stop = stream, stop
        self.broken = False  # the reader went away (or stopped reading, and a signal came)
        self.error: str | None = None  # another write error (a full disk)

    def isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (OSError, ValueError):
            return False

    def line(self, progress, text: str) -> None:
        if progress is None:
            self.text(text + "\n", flush=False)
        else:
            self._guard(lambda: progress.console.print(text, markup=False, highlight=False))

    def text(self, text: str, flush: bool = True) -> None:
        def write():
            self.stream.write(text)
            if flush:
                self.stream.flush()
        self._guard(write)

    def summary(self, s) -> None:
        self._guard(lambda: _print_summary(s, self.isatty(), self.stream))

    def close(self) -> None:
        self._guard(self.stream.flush)

    def _guard(self, write) -> None:
        if self.broken or self.error is not None:
            return
        try:
            with self.stop.waiting() if self.stop is not None else nullcontext():
                write()
        except (BrokenPipeError, Interrupted):
            self.broken = True
            self._silence()
        except OSError as e:
            self.error = e.strerror or str(e)
            self._silence()

    def _silence(self) -> None:
        """Point stdout at /dev/null so that the interpreter's last flush cannot fail again."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
        except (OSError, ValueError):
            pass


def _progress(tty: bool, epochs: int):
    if not tty:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        transient=True)
    progress.add_task("epochs", total=epochs)
    return progress


def _table(s) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and rows of learned against true (when the data has true values) and least squares."""
    has_true = s.true_weights is not None
    best = "least squares" if s.optimum.loss == "mse" else f"{LOSS_NAMES[s.optimum.loss]} optimum"
    header = ("parameter", *(("true",) if has_true else ()), "learned", best,
              *(("|learned − true|",) if has_true else ()), "|learned − optimum|")
    true = list(s.true_weights) + [s.true_bias] if has_true else [None] * (len(s.weights) + 1)
    rows = []
    for name, t, l, o in zip(param_names(s.feature_names), true, list(s.weights) + [s.bias],
                             list(s.optimum.weights) + [s.optimum.bias]):
        cells = [name, *((num(t),) if has_true else ()), num(l), num(o),
                 *((num(abs(l - t)),) if has_true else ()), num(abs(l - o))]
        rows.append(tuple(cells))
    return header, rows


def _metrics_line(name: str, m) -> str:
    return f"{name}: loss {num(m.loss)}  mse {num(m.mse)}  rmse {num(m.rmse)}  mae {num(m.mae)}  r² {num(m.r2)}"


def _print_summary(s, tty: bool, stream) -> None:
    header, rows = _table(s)
    metric_lines = ([_metrics_line("train (full data)", s.train)]
                    + ([_metrics_line("test", s.test)] if s.test else [])
                    + ([] if s.optimum.loss == "mse" else
                       [_metrics_line(f"{LOSS_NAMES[s.optimum.loss]} optimum (train)", s.optimum_train)])
                    + [_metrics_line("least squares (train)", s.ls_train)])
    verdict = s.verdict if s.status in (Outcome.FINISHED, Outcome.EARLY_STOPPED) else s.status.replace("_", " ")
    title = (f"{s.status.replace('_', ' ')} ({verdict}) after {s.epochs} {plural(s.epochs, 'epoch')}, "
             f"{s.steps} {plural(s.steps, 'step')}" if verdict != s.status else
             f"{verdict} after {s.epochs} {plural(s.epochs, 'epoch')}, {s.steps} {plural(s.steps, 'step')}")
    if s.divergence is not None:  # the steps taken; the one that diverged is not applied (a hostile pass read
        title += f" (step {s.divergence.step:,} diverged and was not applied)"  # "at step 5" then "4 steps")
    if s.diagnosis is not None and s.diagnosis.kind != Seen.DIVERGED:  # (a divergence is told on stderr)
        d = s.diagnosis.as_dict()
        metric_lines += [f"diagnosis: {diagnosis_headline(d, s.optimum.loss)}",
                         *(f"  → {c}" for c in diagnosis_lines(d))]
    if tty:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(title))
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i == 0 else "right")
        for r in rows:
            table.add_row(*(Text(c) for c in r))  # column names are the user's: shown verbatim, never markup
        console = Console(file=stream)
        console.print(table)
        for line in metric_lines:
            console.print(line, markup=False, highlight=False)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [title]
    for r in [header, *rows]:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    stream.write("\n".join(lines + metric_lines) + "\n")
