"""The command line's shared pieces: one argument table built from linreg_core's fields (for `linreg`,
`linreg tui` and `linreg train`), exit statuses, and how a refusal is worded. Imported by cli.py and
headless.py (neither imports the other at module level). Nothing here imports torch or textual.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from linreg_core.settings.config import FIELDS, LABELS, LANE_FIELDS, Config
from linreg_core.settings.errors import DataError, LinregError

EXIT_OK, EXIT_INVALID, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 2, 3, 130


NEGATIVE_VALUE = re.compile(r"-\.?\d")  # -3e-2, -1,2, -.5: a value, not an option


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line and exit status 2, and takes negative values after an
    option that expects one (argparse alone reads `--weights -1,2` and `--bias -3e-2` as options)."""

    def error(self, message: str):  # noqa: D401
        self.exit(EXIT_INVALID, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        takes_value = {flag for a in self._actions if a.nargs is None and a.option_strings
                       and not isinstance(a, (argparse._StoreConstAction, argparse._StoreTrueAction))
                       for flag in a.option_strings}
        joined, i = [], 0
        while i < len(args):
            if args[i] in takes_value and i + 1 < len(args) and NEGATIVE_VALUE.match(args[i + 1]):
                joined.append(f"{args[i]}={args[i + 1]}")
                i += 2
            else:
                joined.append(args[i])
                i += 1
        return super().parse_known_args(joined, namespace)


APP_EPILOG = """commands:
  linreg [options]          the app: set up an experiment, press space, watch it fit (needs a terminal)
  linreg train [options]    the same training without a screen: epoch log, table, files (see linreg train -h)
  linreg theory [options]   MSE's curvature, stable and best rates, the run's loss curve predicted before it runs
  linreg sweep [options]    race comma lists of settings headless, ranked by final loss (see linreg sweep -h)
  linreg serve [options]    the app in a browser, a tab each (--host, --port; see linreg serve -h)

examples:
  linreg                                        the tutorial's experiment
  linreg --loss mse --lr 0.1 --optimizer adam
  linreg --csv data.csv --target price --standardize --test-fraction 0.2
  linreg train --epochs 100 --json --history h.csv
  linreg --config ~/.local/share/linreg/runs/<run>/config.toml   reopen a past run's settings
"""
TRAIN_EPILOG = """examples:
  linreg train                                  the tutorial's experiment, its log and the table
  linreg train --loss mse --lr 0.01 --optimizer adam --json
  linreg train --csv data.csv --features area,rooms --standardize --history h.csv --save-params p.json

exit status: 0 trained, 1 a file could not be written, 2 invalid input, 3 diverged,
130/143/129 interrupted (Ctrl+C, SIGTERM, SIGHUP), 141 the reader of the output went away
"""
THEORY_EPILOG = """The theory applies to MSE with sgd, momentum or nesterov, a constant rate and no L1; otherwise it
says why not. --shuffle replace makes the prediction exact in expectation; a full batch makes it exact.

examples:
  linreg theory --loss mse                       the tutorial's experiment with MSE
  linreg theory --loss mse --shuffle replace --optimizer momentum --lr 0.01
  linreg theory --csv data.csv --standardize --loss mse --json | jq .spectrum

exit status: 0 (also when the theory does not apply: it says why), 2 invalid input
"""


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as package_version
    try:
        return package_version("linreg-tui")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown (not installed)"


SWEEP_EPILOG = """Training settings take comma lists; the sweep races every combination (or, with --zip, the
first values together, then the second, …) as lanes of one vectorized program on the same data and shuffles.

examples:
  linreg sweep --lr 0.001,0.01,0.1,1                 which learning rate?
  linreg sweep --optimizer sgd,adam --lr 0.01,0.1 --json | jq .   stdout: the JSON alone
  linreg sweep --lr 0.01,0.1 --batch-size 1,64 --zip     two lanes: (0.01, 1) and (0.1, 64)
  linreg sweep --standardize no,yes --csv data.csv --loss mse
  linreg sweep --lr 0.001,0.003,0.01,0.03,0.1,0.3,1 --plot   the learning-rate range plot

exit status: 0 at least one lane finished, 1 a file could not be written, 2 invalid input, 3 every lane
diverged, 130/143/129 interrupted
"""


def build_parser(prog: str, headless: bool, sweep: bool = False, theory: bool = False) -> argparse.ArgumentParser:
    description = ("Race settings headless: every combination of the comma lists, ranked by final loss." if sweep
                   else "The run's theory: curvature, stable and best rates, its loss curve predicted." if theory
                   else "Train headless: print the epoch log, then learned against true." if headless
                   else "Watch mini-batch gradient descent fit y = X·w + b.")
    epilog = SWEEP_EPILOG if sweep else THEORY_EPILOG if theory else TRAIN_EPILOG if headless else APP_EPILOG
    p = _Parser(prog=prog, description=description, epilog=epilog,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    defaults = Config().to_options()
    groups = {"data": p.add_argument_group("data"), "train": p.add_argument_group("training")}
    for name, f in FIELDS.items():
        group = groups["data"] if name in ("weights", "bias", "samples", "noise", "csv", "target", "features",
                                           "standardize", "standardize_target", "test_fraction") else groups["train"]
        if f.kind == "bool" and sweep and name in LANE_FIELDS:
            group.add_argument(f.flag, dest=name, nargs="?", const="yes", metavar="yes,no",
                               help=f"{f.help} (alone: yes; or a list such as no,yes)")
        elif f.kind == "bool":
            group.add_argument(f.flag, dest=name, action="store_const", const="yes", help=f.help)
        else:
            choices = f" ({'|'.join(f.choices)})" if f.choices else ""
            # one default each: an empty one is described by the help itself ("default: the last")
            default = f"; default {defaults[name]}" if defaults[name] and "default" not in f.help else ""
            group.add_argument(f.flag, dest=name, metavar=name.upper() if not f.choices else "NAME",
                               help=f"{f.help}{choices}{default}")
    files = p.add_argument_group("files")
    files.add_argument("--config", metavar="FILE.toml",
                       help="start from a saved experiment (a run folder's config.toml); options given here win")
    files.add_argument("--runs-dir", metavar="DIR",
                       help="keep runs here (default: %s)" % _shown_runs_dir())
    files.add_argument("--no-save", action="store_true", help="do not keep this session's runs on disk")
    if sweep:
        out = p.add_argument_group("sweep")
        out.add_argument("--zip", action="store_true", help="pair the lists' values in order instead of "
                                                            "taking every combination (the lists must be equally long)")
        out.add_argument("--json", action="store_true", help="write one line of JSON to stdout, alone (a row per "
                                                             "lane); the table and --plot go to stderr")
        out.add_argument("--history", metavar="FILE.csv", help="write every lane's per-epoch history as one CSV "
                                                               "in long form (lane, its settings, epoch, …)")
        out.add_argument("--plot", action="store_true", help="draw final loss against the learning rate (log axes)")
    elif theory:
        out = p.add_argument_group("output")
        out.add_argument("--json", action="store_true", help="write one JSON object to stdout instead of the table")
        out.add_argument("--epochs-shown", metavar="N", type=int, default=6,
                         help="epochs of the predicted curve the table shows (default 6; --json has them all)")
    elif headless:
        out = p.add_argument_group("output")
        out.add_argument("--json", action="store_true", help="end with one line of JSON summary")
        out.add_argument("--history", metavar="FILE.csv", help="write the per-epoch history as CSV")
        out.add_argument("--save-params", metavar="FILE.json", help="write the learned parameters as JSON")
        out.add_argument("--trace", metavar="FILE.jsonl", help="write the first steps under the microscope: each "
                         "step's batch rows, ŷ, residuals ŷ − y, ∂loss/∂ŷ, gradients, the update rule's terms, "
                         "parameters before and after, the step taken; one JSON object a line")
        out.add_argument("--trace-steps", metavar="N", type=int,
                         help="steps written by --trace (default 32)")
        out.add_argument("--follow-advice", metavar="N", type=int, nargs="?", const=3, default=None,
                         help="when the run does not converge, apply its diagnosis' first advice and train again, "
                              "at most N times (default 3); each round's changes and result are printed, the "
                              "last round is reported as usual (--json: a `rounds` list)")
    return p


def options_from(ns: argparse.Namespace) -> dict[str, str]:
    return {name: getattr(ns, name) for name in FIELDS if getattr(ns, name, None) is not None}


def parse_config(ns: argparse.Namespace) -> Config:
    """Defaults, then the --config file, then the options on the command line.
    Raises ConfigError (an option) or DataError (the file, with its line)."""
    base = None
    if ns.config:
        from linreg_core.settings import configfile
        base = configfile.load(ns.config)
    return Config.from_options(options_from(ns), base=base)


def runs_dir_of(ns: argparse.Namespace) -> str | None:
    """Where this session's runs go; None with --no-save."""
    if ns.no_save:
        return None
    if ns.runs_dir:
        return ns.runs_dir
    from linreg_core.storage.runs import default_runs_dir
    return str(default_runs_dir())


def _shown_runs_dir() -> str:
    from linreg_core.storage.runs import default_runs_dir
    home = os.path.expanduser("~")
    path = str(default_runs_dir())
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


def fail(prog: str, message: str) -> int:
    print(f"{prog}: {message}", file=sys.stderr)
    return EXIT_INVALID


def refusal(e: LinregError) -> str:
    """One line for a refused input, naming the option it came through: a file's errors say which option
    named the file ("initial parameters (--init-params): p.json: holds 3 weights, …")."""
    if isinstance(e, DataError):
        option = "--config" if e.field == "config" else LABELS.get(e.field)
        return f"{option}: {e}" if option else str(e)
    return str(e)
