"""P: the screen as it is now, as an SVG, in the runs folder's screenshots/ (the current folder with --no-save),
named after the run on screen."""
from __future__ import annotations

import os
import time
from pathlib import Path


def take(app, runs_dir: str | None, name: str) -> None:
    """Write the app's screen as `<name>-<time>.svg` and say where (or why it could not be written)."""
    folder = Path(os.path.expanduser(runs_dir)) / "screenshots" if runs_dir else Path.cwd()
    filename = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.svg"
    if folder.exists() and not folder.is_dir():
        app.notify(f"could not write a screenshot: {folder} is a file, not a folder", title="screenshot",
                   severity="error", markup=False)
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = app.save_screenshot(filename=filename, path=str(folder))
    except OSError as e:
        app.notify(f"could not write a screenshot to {folder}: {e.strerror or e}", title="screenshot",
                   severity="error", markup=False)
        return
    app.notify(f"saved {path}", title="screenshot", timeout=6, markup=False)
