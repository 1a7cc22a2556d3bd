"""`linreg sweep`: comma lists of training settings raced headless as one vectorized program (race.py),
then a table ranked by full-data MSE (one unit for every lane) (rich on a terminal, plain columns piped), optionally JSON, a long-form
history CSV and the learning-rate range plot. With --json stdout carries the JSON object alone (`| jq` reads
it); the table and the plot go to stderr.

Exit status: 0 at least one lane finished (or stopped early), 1 a file could not be written, 2 invalid input,
3 every lane diverged, 130/143/129 interrupted, 141 the reader of the output went away.
"""
from __future__ import annotations

import itertools
import math
import sys

from linreg_core.settings.config import FIELDS, LABELS, LANE_FIELDS
from linreg_core.settings.errors import ConfigError, LinregError
from linreg_core.model.results import Outcome
from tui.headless import Interrupted, StopFlag, _Output, check_outputs
from tui.options import EXIT_DIVERGED, EXIT_OK, build_parser, fail, options_from, refusal, runs_dir_of
from linreg_core.analysis.compare_table import lanes_table
from tui.text import num, plural

PROG = "linreg sweep"
EXIT_WRITE, EXIT_PIPE = 1, 141
TICKS = 256  # ticks between two looks at the signal flag


def lane_options(ns, base_options: dict[str, str], max_lanes: int) -> list[dict[str, str]]:
    """{setting: text} per lane: the product of the comma lists (or, with --zip, their values in order).
    Raises ConfigError naming the option for a list where a sweep takes none or lists of unequal length."""
    lists: dict[str, list[str]] = {}
    for name, text in base_options.items():
        f = FIELDS[name]
        if "," not in text or f.kind in ("numbers", "names"):
            continue
        if name not in LANE_FIELDS:
            raise ConfigError({name: f"a sweep varies training settings only "
                                     f"({', '.join(FIELDS[n].flag for n in LANE_FIELDS)}); give {f.flag} one value, "
                                     f"got {text}"}, LABELS)
        values = [v.strip() for v in text.split(",")]
        if any(not v for v in values):
            raise ConfigError({name: f"has an empty value in the list {text!r}"}, LABELS)
        lists[name] = values
    lengths = {FIELDS[n].flag: len(v) for n, v in lists.items()}
    if ns.zip and lists and len(set(lengths.values())) > 1:
        raise ConfigError({"--zip": "pairs values in order, so its lists must be equally long; got "
                                  + ", ".join(f"{flag} {k} {plural(k, 'value')}" for flag, k in lengths.items())})
    count = (max(lengths.values(), default=1) if ns.zip else math.prod(lengths.values()))
    if count > max_lanes:  # counted from the lists' lengths: 300×300×300 is refused before any lane is made
        made = " × ".join(f"{k} ({flag})" for flag, k in lengths.items())
        raise ConfigError({"lanes": f"the lists make {made} = {count:,} lanes; a sweep runs at most {max_lanes}"})
    combos = list(zip(*lists.values())) if ns.zip else list(itertools.product(*lists.values()))
    return [{**base_options, **dict(zip(lists, combo))} for combo in combos]


def build_configs(ns):
    """The lanes' Configs, each option's values checked with the usual messages (the value named). Never
    imports torch: a signal while torch loads is answered at once (sweep_main's waiting), and 300×300×300
    lanes are refused at once."""
    from linreg_core.settings.config import SWEEP_MAX_LANES, Config

    base = None
    if ns.config:
        from linreg_core.settings import configfile
        base = configfile.load(ns.config)
    lanes = lane_options(ns, options_from(ns), SWEEP_MAX_LANES)
    return [Config.from_options(options, base=base) for options in lanes]


def duplicates(configs) -> list[tuple[int, int]]:
    """(first lane, a later lane with the very same settings), 1-based."""
    seen: dict = {}
    pairs = []
    for i, c in enumerate(configs, start=1):
        key = tuple(sorted(c.to_options().items()))
        if key in seen:
            pairs.append((seen[key], i))
        else:
            seen[key] = i
    return pairs


def sweep_main(argv: list[str]) -> int:
    args = build_parser(PROG, headless=True, sweep=True).parse_args(argv)
    stop = StopFlag()
    try:
        configs = build_configs(args)
        check_outputs(args, configs)
        check_json(args)
    except LinregError as e:
        return fail(PROG, refusal(e))
    try:
        with stop.waiting(grace=0):
            from linreg_core.training.race import SWEEP_MAX_LANES  # imports torch: a second or two
            from linreg_core.session.race_controller import RaceController
    except Interrupted:
        return stop.exit_status
    ctl = RaceController(lambda _event: None, runs_dir_of(args), SWEEP_MAX_LANES)  # the app's race, headless
    try:
        ctl.load(configs)
    except LinregError as e:
        return fail(PROG, refusal(e))
    race = ctl.race
    for notice in dict.fromkeys(n for lane in race.lanes for n in lane.notices):
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    for first, again in duplicates(configs):
        print(f"{PROG}: note: lane {again} has the same settings as lane {first} (a repeated value in a list)",
              file=sys.stderr)
    out = _Output(sys.stdout, stop)
    _run(ctl, stop, out)
    return _report(args, ctl, out, stop)


def check_json(args) -> None:
    """--json keeps stdout for its one JSON object: a history written there would come before it."""
    from linreg_core.settings.outputs import is_stdout

    if args.json and args.history and is_stdout(args.history):
        raise ConfigError({"--history": f"{args.history} is standard output, which --json keeps for its JSON "
                                        "object alone; give a file name"})


def _run(ctl, stop, out) -> None:
    """Race to the end, or to a signal (the race then ends as interrupted); the controller keeps the race
    folder as the app's race does."""
    from linreg_core.session.commands import Start

    race = ctl.race
    longest = max(lane.target_epochs for lane in race.lanes)
    ctl.handle(Start())
    with _progress(out.isatty(), longest) as progress:
        while ctl.wants_steps and stop.signum is None:
            epoch = race.epoch
            ctl.advance(TICKS)
            if progress is not None and race.epoch != epoch:
                progress.update(progress.task_ids[0], completed=race.epoch)
    if ctl.run_open:
        ctl.end(Outcome.INTERRUPTED)


def _report(args, ctl, out, stop) -> int:
    from linreg_core.analysis.compare import ranked, varied_fields
    from linreg_core.storage.export import dumps, write_file
    from linreg_core.settings.outputs import is_stdout

    race, histories, recorder, results = ctl.race, ctl.histories, ctl.recorder, ctl.lane_results
    varied = varied_fields([lane.config for lane in race.lanes])
    status = EXIT_OK
    if recorder is not None:  # (the controller wrote the race's end there)
        if recorder.errors:
            print(f"{PROG}: {recorder.errors[0]}", file=sys.stderr)
            status = EXIT_WRITE
        else:
            print(f"{PROG}: race kept in {recorder.folder}", file=sys.stderr)
    if args.history and is_stdout(args.history):  # /dev/stdout, or the file stdout goes to: in order
        out.text(history_long(race, histories, varied))
    elif args.history:
        try:
            write_file(args.history, history_long(race, histories, varied))
        except OSError as e:
            print(f"{PROG}: could not write {args.history}: {e.strerror or e}", file=sys.stderr)
            status = status or EXIT_WRITE
    order = ranked(results)
    shown = _Output(sys.stderr, stop) if args.json else out  # --json: stdout holds the JSON object alone
    shown.text(render_table(order, varied, shown.isatty()))
    if args.plot:
        shown.text(lr_plot(results, varied, shown.isatty()) + "\n")
    if args.json:
        out.text(dumps({"varied": varied, "sorted_by": "mse", "lanes": [r.as_dict() for r in order]}) + "\n")
    out.close()
    shown.close()
    if stop.signum is not None:
        return stop.exit_status
    if out.broken:
        return EXIT_PIPE
    if out.error is not None or shown.error is not None:  # a full disk under stdout (or stderr)
        print(f"{PROG}: could not write the output: {out.error or shown.error}", file=sys.stderr)
        return EXIT_WRITE
    if all(r.status == Outcome.DIVERGED for r in results):
        print(f"{PROG}: every lane diverged", file=sys.stderr)
        return EXIT_DIVERGED
    return status


def table(results, varied: list[str], plain: bool = False) -> tuple[list[str], list[list[str]]]:
    """The lanes' table (compare.lanes_table): exact numbers for files, short ones to read."""
    return lanes_table(results, varied, None if plain else num)


def render_table(results, varied: list[str], tty: bool) -> str:
    header, rows = table(results, varied)
    title = f"{len(results)} {plural(len(results), 'lane')}, lowest full-data MSE first (every lane's own loss beside it)"
    if tty:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        t = Table(title=Text(title))
        for i, h in enumerate(header):
            t.add_column(h, justify="right" if i == 0 or h not in varied and h != "status" else "left")
        for r in rows:
            t.add_row(*(Text(c) for c in r))
        buf = StringIO()
        Console(file=buf, force_terminal=True, width=_width()).print(t)
        return buf.getvalue()
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [title] + ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    return "\n".join(lines) + "\n"


def history_long(race, histories, varied: list[str]) -> str:
    """Every lane's epochs, one row each: lane, its varied settings (lane_lr, lane_optimizer, …: the lane's
    own, beside the epoch's lr after any schedule), then the columns of `linreg train --history`."""
    import csv
    import io

    from linreg_core.analysis.compare import lane_settings
    from linreg_core.storage.export import history_header, history_row, safe_cell

    names = race.lanes[0].experiment.dataset.feature_names
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_cell(h) for h in ["lane", *(f"lane_{n}" for n in varied), *history_header(names)]])
    for i, lane in enumerate(race.lanes):
        settings = lane_settings(lane.config, varied)
        for e in histories[i]:
            w.writerow([str(i + 1), *(safe_cell(settings[n]) for n in varied), *history_row(e)])
    return buf.getvalue()


def lr_plot(results, varied: list[str], tty: bool) -> str:
    """Final loss against the learning rate, both on log axes: one series per combination of the other
    varied settings; diverged lanes as × along the top."""
    import plotext as plt

    if "lr" not in varied:
        return f"{PROG}: --plot draws final loss against the learning rate; give --lr a list such as 0.001,0.01,0.1"
    others = [n for n in varied if n != "lr"]
    plt.clear_figure()
    plt.plotsize(*_plot_size(tty))
    plt.theme("clear" if not tty else "pro")
    finite = [r.final_loss for r in results if r.status != Outcome.DIVERGED and _positive(r.final_loss)]
    if not finite:
        return f"{PROG}: --plot: every lane diverged (or ended at a loss of 0 or less): nothing to draw on a log axis"
    top = max(finite) * 3
    series: dict[str, list] = {}
    for r in results:
        series.setdefault(" ".join(r.settings[n] for n in others) or "final loss", []).append(r)
    markers = ["dot", "+", "o", "x", "*", "#", "@", "%"]
    bad_any = any(r.status == Outcome.DIVERGED or not _positive(r.final_loss) for r in results)
    for i, (name, rs) in enumerate(series.items()):
        pts = sorted((float(r.settings["lr"]), r.final_loss) for r in rs
                     if r.status != Outcome.DIVERGED and _positive(r.final_loss))
        if pts:  # one series needs no legend (it would sit over the points)
            plt.plot([p[0] for p in pts], [p[1] for p in pts], label=name if len(series) > 1 or bad_any else None,
                     marker=markers[i % len(markers)])
    bad = [float(r.settings["lr"]) for r in results if r.status == Outcome.DIVERGED or not _positive(r.final_loss)]
    if bad:
        plt.scatter(bad, [top] * len(bad), label="diverged", marker="x")
    plt.xscale("log")
    plt.yscale("log")
    plt.title("final loss against learning rate")
    plt.xlabel("learning rate (log)")
    plt.ylabel("final loss (log)")
    text = plt.build()
    return text if tty else _strip_ansi(text)


def _positive(x: float) -> bool:
    return math.isfinite(x) and x > 0


def _width() -> int:
    import shutil
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def _plot_size(tty: bool) -> tuple[int, int]:
    import shutil
    cols, rows = shutil.get_terminal_size((80, 24)) if tty else (80, 24)
    return max(40, min(cols, 120)), max(12, min(rows - 2, 30))


def _strip_ansi(text: str) -> str:
    import re
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _progress(tty: bool, epochs: int):
    from tui.headless import _progress as progress
    return progress(tty, epochs)
