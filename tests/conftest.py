"""Every test keeps its runs in its own temporary data folder, never in the user's ~/.local/share."""
import pytest


@pytest.fixture(autouse=True)
def private_data_home(tmp_path, monkeypatch):
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    return data_home
