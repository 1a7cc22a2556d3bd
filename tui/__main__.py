import sys

from tui.entry import main  # first: Ctrl+C while linreg loads exits quietly (see entry.py)

# guarded: the engine process is started with multiprocessing's "spawn", which re-imports this module
if __name__ == "__main__":
    sys.exit(main())
