"""Every script in benchmarks/ runs, at a tiny size, and prints its table: none can rot unnoticed (the
numbers themselves are for the issue notes, measured by hand at full size)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.serial  # timing scripts: alone, not beside another worker


ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
TOOLS = ROOT.parent / "shared" / "tools"

TINY = {
    "engine_speed.py": (["--repeats", "1", "--epochs", "2"], "× tutorial"),
    "large_epoch.py": (["--samples", "3000", "--features", "4", "--repeats", "1"], "× the floor"),
    "chart_redraw.py": (["--sizes", "80x24", "--epochs", "2", "--repeats", "1"], "LossChart"),
    "memory_peak.py": (["--samples", "3000", "--features", "2"], "estimate/measured"),
    "landscape_speed.py": (["--samples", "3000", "--features", "4", "--repeats", "1"], "grid 60×30"),
    "theory_speed.py": (["--epochs", "2", "--features", "4", "--repeats", "1"], "best ms"),
    "race_speed.py": (["--repeats", "1", "--epochs", "2", "--large-samples", "3000", "--large-features", "4"],
                      "× one run"),
}
TINY_SHELL = {
    "app_latency.sh": ({"REPS": "2"}, "median"),
    "app_startup_speed.sh": ({"TRAIN_S": "1", "EPOCHS": "20"}, "first app frame"),
    "process_speed.sh": ({"REPS": "1", "EPOCHS": "2"}, "tutorial / train"),
}


def test_every_benchmark_has_a_smoke_run():
    """(_timing.py is the helper they share, not a benchmark.)"""
    assert {p.name for p in BENCH.iterdir() if p.suffix in (".py", ".sh") and not p.name.startswith("_")} \
        == set(TINY) | set(TINY_SHELL)


@pytest.mark.parametrize("script", sorted(TINY))
def test_python_benchmark_runs_tiny(script, tmp_path):
    args, expected = TINY[script]
    out = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout


@pytest.mark.parametrize("script", sorted(TINY_SHELL))
def test_shell_benchmark_runs_tiny(script):
    """These drive the real app in tmux (and app_latency.sh the workplace's tui-latency tool)."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the app benchmarks drive the app in a tmux terminal")
    if script == "app_latency.sh" and not (TOOLS / "tui-latency").exists():
        pytest.skip(f"{TOOLS / 'tui-latency'} is not here (the workplace's tool, outside the repository)")
    if not (ROOT / ".venv" / "bin" / "linreg").exists():
        pytest.skip("the scripts run .venv/bin/linreg: set up with `make test` first")
    env, expected = TINY_SHELL[script]
    out = subprocess.run(["bash", str(BENCH / script)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout
