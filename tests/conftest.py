"""Every test keeps its runs in its own temporary data folder, never in the user's ~/.local/share.

Hypothesis runs derandomized: the same examples on every machine and every run, so a red CI is a bug that
reproduces, not a draw (a random state-machine walk once failed CI and passed here). To explore new examples
while developing: LINREG_HYPOTHESIS=explore make test."""
import os

# Under pytest-xdist (`make test`: two workers on a 2-core machine) each worker and the processes it starts
# use one CPU thread: two workers of two OpenMP threads each spun against each other (the controller's state
# machine took 100 s instead of 5). Set before torch is imported; children inherit it, so a subprocess and
# its in-process oracle still run the same kernels the same way.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("LINREG_HYPOTHESIS") == "explore" else "ci")


@pytest.fixture(autouse=True)
def private_data_home(tmp_path, monkeypatch):
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    return data_home
