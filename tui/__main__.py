import sys

from tui.cli import main

# guarded: the engine process is started with multiprocessing's "spawn", which re-imports this module
if __name__ == "__main__":
    sys.exit(main())
