"""The `linreg` command's first lines. Until linreg's own handlers are in place (the app's, or `linreg
train`'s stop flag), Ctrl+C exits quietly with status 130: loading Python modules and torch takes a second or
two, and a KeyboardInterrupt there printed a traceback. Nothing else is imported before the handler is set.
"""
import os
import signal


_exiting = False


def _quiet_exit(signum, _frame):
    global _exiting
    if _exiting:  # a second Ctrl+C while the first one's exit unwinds: raising again inside Python's shutdown
        os._exit(128 + signum)  # printed a traceback (threading._shutdown … SystemExit: 130); end now instead
    _exiting = True
    raise SystemExit(128 + signum)


signal.signal(signal.SIGINT, _quiet_exit)


def main() -> int:
    from tui.cli import main as cli_main

    return cli_main()
