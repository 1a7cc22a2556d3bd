"""`linreg` (the app), `linreg tui [options]` (the app on those options), `linreg train [options]`
(headless, tui/headless.py) and `linreg theory [options]` (the run's theory, tui/theory_cli.py). The options themselves are in tui/options.py.

Nothing here imports torch or textual at module level: `linreg --help` and the app's first frame stay fast.
"""
from __future__ import annotations

import os
import sys

from linreg_core.settings.errors import ConfigError, DataError, LinregError
from tui.options import EXIT_OK, build_parser, fail, parse_config, refusal, runs_dir_of


def main(argv: list[str] | None = None) -> int:
    """The entry point. Running out of memory past the size check (another process took it meanwhile, a
    limit the check cannot see) is one line and exit 1, never a traceback."""
    try:
        return _main(argv)
    except LinregError as e:  # refused before any parser could name its program (ulimit -v under torch's own
        return fail("linreg", refusal(e))  # needs: even the defaults' Config is refused): one line, exit 2
    except MemoryError:
        return _out_of_memory("")
    except RuntimeError as e:  # torch's allocator says so in a RuntimeError
        if "can't allocate memory" in str(e) or "out of memory" in str(e).lower():
            return _out_of_memory(str(e).split("you tried to allocate")[-1].split(".")[0].strip())
        raise


def _out_of_memory(what: str) -> int:
    asked = f" (asked for {what.removesuffix(' bytes')} bytes)" if what[:1].isdigit() else ""
    print(f"linreg: ran out of memory{asked}; try fewer --samples or features, or --dtype float32",
          file=sys.stderr)
    return 1


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:  # started with that descriptor closed (cron, a daemon): read/write nothing
            setattr(sys, name, open(os.devnull, mode))
    if argv[:1] == ["train"]:
        from tui.headless import finished, train_main
        return finished(train_main(argv[1:]))
    if argv[:1] == ["theory"]:
        from tui.theory_cli import theory_main
        return theory_main(argv[1:])
    if argv[:1] == ["serve"]:
        from tui.serve import serve_main
        return serve_main(argv[1:])
    if argv[:1] == ["sweep"]:
        from tui.headless import finished
        from tui.sweep import sweep_main
        return finished(sweep_main(argv[1:]))
    if argv[:1] == ["tui"]:
        argv = argv[1:]
    return app_main(argv)


def app_main(argv: list[str]) -> int:
    prog = "linreg"
    ns = build_parser(prog, headless=False).parse_args(argv)
    try:
        config = parse_config(ns)
    except (ConfigError, DataError) as e:
        return fail(prog, refusal(e))
    served = "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")  # linreg serve: a browser tab is the screen
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        return fail(prog, "needs a terminal (run it in one, or over `ssh -t`); "
                          "for scripts and pipes use `linreg train`")
    from tui.app import make_app
    try:
        app = make_app(config, runs_dir=runs_dir_of(ns))
        app.run()
    except LinregError as e:
        return fail(prog, refusal(e))
    return app.return_code or EXIT_OK

