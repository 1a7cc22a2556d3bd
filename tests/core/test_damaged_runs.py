"""A damaged runs folder never stops, hangs or floods the lab: every file kind of a run folder (and a race's
lanes), damaged every way a disk, a crash or a hostile user can (truncated, binary, huge, wrong types,
nested, a FIFO, a link to a device, a link loop, a folder in its place), is read by the past-runs list, the
overlay, reopening and --init-params: nothing but a LinregError escapes, nothing blocks (each read runs
under a time bound in a thread) and memory stays bounded (tracemalloc's peak)."""
from __future__ import annotations

import json
import os
import tempfile
import threading
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from linreg_core.settings import configfile
from linreg_core.settings.config import Config
from linreg_core.settings.errors import LinregError
from linreg_core.storage.export import history_header, params_dict
from linreg_core.settings.paramsfile import load_params
from linreg_core.storage.runs import CONFIG, HISTORY, LANES, PARAMS, SUMMARY, lane_folders, list_runs, read_run
from tui.screens.overlay import row
from tui.screens.runs import describe

KINDS = (CONFIG, HISTORY, SUMMARY, PARAMS, LANES)
DAMAGES = ("truncated", "binary", "huge", "sparse_lines", "wrong_types", "nested", "fifo", "dev_zero",
           "dev_urandom", "loop", "dangling", "folder", "lane_link_to_itself")
TIME_BOUND_S = 20.0  # generous for a busy 2-core machine; a hang is forever
MEMORY_BOUND = 64 * 2**20  # bytes Python may allocate reading one folder (the sparse files are GBs)

WRONG_TYPES = {
    CONFIG: 'lr = "abc"\n[train]\nepochs = [1, 2]\n',
    HISTORY: "epoch,loss_sum,loss_mean\nx,y,z\n1,{},[]\n",
    SUMMARY: '{"status": {"a": 1}, "steps": "x", "epochs": -3, "metrics": "none"}',
    PARAMS: '{"weights": "x", "bias": [1]}',
    LANES: "lane,lr\n1,abc\n",
}


def good_run(folder: Path) -> None:
    """A run folder as RunRecorder writes it (by hand: no training needed to damage one)."""
    folder.mkdir(parents=True)
    (folder / CONFIG).write_text(configfile.dumps(Config(), "a run"))
    header = ",".join(history_header(["x0", "x1", "x2", "x3"]))
    rows = "".join(f"{e},1.0,0.5,,0.03,1,2,3,4,5\n" for e in range(3))
    (folder / HISTORY).write_text(header + "\n" + rows)
    (folder / PARAMS).write_text(json.dumps(params_dict([1.0, 2.0, 3.0, 4.0], 0.5, ["x0", "x1", "x2", "x3"], "y")))
    (folder / SUMMARY).write_text(json.dumps({"status": "finished", "epochs": 3, "steps": 48,
                                              "metrics": {"train": {"loss": 0.5, "r2": 0.9}}}))


def damage(folder: Path, kind: str, how: str) -> None:
    path = folder / kind
    if how == "lane_link_to_itself":  # a race folder whose "lane" is the race itself (the file stays)
        if not os.path.lexists(folder / f"{folder.name}-lane03"):
            (folder / f"{folder.name}-lane03").symlink_to(".")
        if not (folder / f"{folder.name}-lane01").exists():
            good_run(folder / f"{folder.name}-lane01")
        return
    if path.is_symlink() or path.exists():
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    if how == "truncated":
        path.write_bytes(b'{"status": "fin' if kind.endswith(".json") else b"epoch,loss_s")
    elif how == "binary":
        path.write_bytes(bytes(range(256)) * 64)
    elif how == "huge":  # sparse: 3 GiB by its size, nothing on disk
        with open(path, "wb") as f:
            f.truncate(3 * 2**30)
    elif how == "sparse_lines":  # under every size limit, yet one "line" of 200 MiB of NUL bytes
        with open(path, "wb") as f:
            f.truncate(200 * 2**20)
    elif how == "wrong_types":
        path.write_text(WRONG_TYPES[kind])
    elif how == "nested":
        path.write_text("[" * 100_000 + "]" * 100_000 if kind.endswith(".json")
                        else "a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "dev_zero":
        path.symlink_to("/dev/zero")
    elif how == "dev_urandom":
        path.symlink_to("/dev/urandom")
    elif how == "loop":
        path.symlink_to(path.name)  # itself: ELOOP
    elif how == "dangling":
        path.symlink_to(folder / "no-such-file")
    elif how == "folder":
        path.mkdir()


def read_everything(root: Path) -> list[str]:
    """What the app does with a runs folder: list it, describe each run, read each (and its lanes) for the
    overlay's table, reopen each lane's config and load each lane's params as --init-params would."""
    seen = []
    for info in list_runs(root):
        seen.append(describe(info))
        for i, lane in enumerate(lane_folders(info.folder)):
            run = read_run(lane)
            seen.append(" ".join(row(i, run)))
            for load in (lambda: configfile.load(str(lane / CONFIG)), lambda: load_params(str(lane / PARAMS), 4)):
                try:
                    load()
                except LinregError as e:
                    seen.append(str(e))
    return seen


def bounded(root: Path) -> list[str]:
    """read_everything in a thread: it must end within TIME_BOUND_S, raise nothing but what it returns, and
    allocate at most MEMORY_BOUND."""
    out: dict = {}

    def work():
        try:
            out["seen"] = read_everything(root)
        except BaseException as e:  # noqa: BLE001 - reported below, with its type
            out["error"] = e

    tracemalloc.start()
    try:
        thread = threading.Thread(target=work, daemon=True)  # a hang must not hang the suite's exit
        thread.start()
        thread.join(TIME_BOUND_S)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not thread.is_alive(), f"reading {root} did not end within {TIME_BOUND_S} s"
    assert "error" not in out, f"{type(out['error']).__name__}: {out['error']}"
    assert peak < MEMORY_BOUND, f"reading {root} allocated {peak / 2**20:.0f} MiB"
    return out["seen"]


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_one_damaged_file_is_listed_with_its_reason_and_stops_nothing(tmp_path, kind, how):
    good_run(tmp_path / "20261130-120000-mae-sgd-seed0")
    good_run(tmp_path / "20261130-110000-mae-sgd-seed1")  # an undamaged neighbour, listed as ever
    damage(tmp_path / "20261130-120000-mae-sgd-seed0", kind, how)
    seen = bounded(tmp_path)
    assert any("finished" in line and "seed1" in line for line in seen)
    infos = list_runs(tmp_path)
    assert len(infos) == 2
    if how == "lane_link_to_itself":  # a link is never a lane: one real lane
        assert infos[0].status.startswith("race of 1 lane")
    elif kind in (SUMMARY, HISTORY) and how not in ("dangling",):
        if kind == HISTORY and how == "wrong_types":
            return  # rows that are not numbers are skipped, as ever; the summary still holds
        assert infos[0].damaged and kind in infos[0].damaged and "damaged" in describe(infos[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(DAMAGES)), min_size=1, max_size=4,
                unique_by=lambda t: t[0]), st.booleans())
def test_any_mix_of_damage_in_runs_and_races_stops_nothing(damages, as_race):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "20261130-120000-race-2lanes-seed0"
        if as_race:
            folder.mkdir()
            (folder / CONFIG).write_text(configfile.dumps(Config(), "a race"))
            good_run(folder / f"{folder.name}-lane01")
            good_run(folder / f"{folder.name}-lane02")
            target = folder / f"{folder.name}-lane02"
        else:
            good_run(folder)
            target = folder
        for kind, how in damages:
            damage(target, kind, how)
        bounded(root)


@pytest.mark.serial  # a wall-clock bound
def test_a_huge_history_is_read_in_bounded_time_as_a_thinned_curve(tmp_path):
    """A 200 MiB history (a very long run, or a hostile one) is sampled at evenly spaced places: the overlay
    gets the curve's shape from first epoch to last, and the list its epoch count, both in about a second."""
    import time

    folder = tmp_path / "20261130-120000-mae-sgd-seed0"
    good_run(folder)
    row = "{},1.0,{},,0.03,1,2,3,4,5\n"
    with open(folder / HISTORY, "w") as f:
        f.write(",".join(history_header(["x0", "x1", "x2", "x3"])) + "\n")
        block = "".join(row.format(e, 1.0 / (e + 1)) for e in range(100_000))
        f.write(block)
        n = 100_000
        while f.tell() < 200 * 2**20:
            f.write("".join(row.format(e, 1.0 / (e + 1)) for e in range(n, n + 100_000)))
            n += 100_000
    start = time.monotonic()
    run = read_run(folder)
    [info] = list_runs(tmp_path)
    took = time.monotonic() - start
    assert took < 10, took  # measured: well under a second (reading it whole took ~30 s)
    assert info.epochs == n and not info.damaged
    assert run.epochs[0] < 1000 and run.epochs[-1] > n - 10_000 and run.epochs == sorted(run.epochs)
    assert all(abs(loss - 1.0 / (e + 1)) < 1e-12 for e, loss in zip(run.epochs, run.losses))
