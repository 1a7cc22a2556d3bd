"""`linreg sweep` as a script sees it: lanes from comma lists, the ranked table, JSON, the long history,
the race folder, exit statuses and refusals."""
import csv
import json
import subprocess

import pytest

from linreg_core.settings.config import Config
from linreg_core.training.trainer import trainer_for
from tests.test_cli import LINREG, linreg


def test_product_of_lists_ranks_lanes_and_json_has_a_row_per_lane(tmp_path):
    out = linreg("sweep", "--lr", "0.003,0.03", "--optimizer", "sgd,adam", "--epochs", "5", "--json",
                 "--runs-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout, parse_constant=lambda c: pytest.fail(c))  # stdout: the JSON object alone
    assert summary["varied"] == ["lr", "optimizer"]
    lanes = summary["lanes"]
    assert sorted(tuple(r["settings"].values()) for r in lanes) == sorted(
        [(0.003, "sgd"), (0.003, "adam"), (0.03, "sgd"), (0.03, "adam")])  # numbers as JSON numbers
    mses = [r["mse"] for r in lanes]
    assert mses == sorted(mses) and summary["sorted_by"] == "mse"  # best first, in one unit
    table = out.stderr.splitlines()  # the table went to stderr
    at = table.index("4 lanes, lowest full-data MSE first (every lane's own loss beside it)")
    assert table[at + 1].split()[:3] == ["lane", "lr", "optimizer"]
    # each lane is the config run alone: its final parameters are that run's
    best = lanes[0]
    alone = trainer_for(Config().replace(epochs=5, lr=best["settings"]["lr"], optimizer=best["settings"]["optimizer"]))
    for _ in alone.run(chunk=64):
        pass
    assert best["summary"]["weights"] == pytest.approx(alone.parameters()[0], rel=1e-5)
    race = next(p for p in tmp_path.iterdir() if "race-4lanes" in p.name)
    assert (race / "config.toml").is_file() and len([p for p in race.iterdir() if p.is_dir()]) == 4
    rows = list(csv.DictReader(open(race / "lanes.csv")))
    assert [r["lane"] for r in rows] == ["1", "2", "3", "4"] and rows[0]["lr"] == "0.003"
    assert "race kept in" in out.stderr


def test_zip_pairs_values_and_history_is_long_form(tmp_path):
    hist = tmp_path / "h.csv"
    out = linreg("sweep", "--lr", "0.01,0.1", "--batch-size", "1,64", "--zip", "--epochs", "2", "--history",
                 str(hist), "--no-save")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(open(hist)))
    assert {(r["lane"], r["lane_lr"], r["lane_batch_size"]) for r in rows} == {("1", "0.01", "1"), ("2", "0.1", "64")}
    assert [r["epoch"] for r in rows if r["lane"] == "2"] == ["0", "1"] and "w_x0" in rows[0]


def test_all_lanes_diverging_exits_3():
    out = linreg("sweep", "--loss", "mse", "--lr", "5,10", "--no-save")
    assert out.returncode == 3 and "every lane diverged" in out.stderr
    assert out.stdout.count("diverged") == 2


def test_one_lane_finishing_is_enough_for_0():
    out = linreg("sweep", "--loss", "mse", "--lr", "0.01,10", "--epochs", "3", "--no-save")
    assert out.returncode == 0 and "diverged" in out.stdout and "converged" in out.stdout  # the verdict


@pytest.mark.parametrize("args,words", [
    (["--samples", "100,200"], "--samples one value"),
    (["--lr", "0.1,-1"], "--lr): expected a number greater than 0"),
    (["--lr", "0.1,"], "empty value"),
    (["--lr", "0.1,0.2", "--optimizer", "sgd,adam,momentum", "--zip"], "--lr 2 values, --optimizer 3 values"),
    (["--optimizer", "sgd,nadam"], "nadam"),
    (["--grads", "autograd"], "analytic"),
])
def test_invalid_lists_exit_2_naming_the_option_and_value(args, words):
    out = linreg("sweep", *args, "--no-save")
    assert out.returncode == 2, out.stderr
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_lr_range_plot_draws_final_loss_against_lr_on_log_axes():
    out = linreg("sweep", "--lr", "0.001,0.01,0.1,1", "--epochs", "3", "--plot", "--no-save")
    assert out.returncode == 0, out.stderr
    assert "final loss against learning rate" in out.stdout and "learning rate (log)" in out.stdout
    assert "\x1b[" not in out.stdout  # piped: no colour codes
    no_lr = linreg("sweep", "--optimizer", "sgd,adam", "--epochs", "1", "--plot", "--no-save")
    assert "give --lr a list" in no_lr.stdout


def test_history_to_stdout_keeps_the_history_and_table_in_order(tmp_path):
    import subprocess
    from tests.test_cli import LINREG

    target = tmp_path / "out.txt"
    with open(target, "w") as f:  # stdout is a file: /dev/stdout names that file
        rc = subprocess.run([*LINREG, "sweep", "--lr", "0.1,0.2", "--epochs", "2", "--history", "/dev/stdout",
                             "--no-save"], stdout=f, stderr=subprocess.PIPE, timeout=120).returncode
    assert rc == 0
    lines = target.read_text().splitlines()
    assert lines[0].startswith("lane,lane_lr,epoch") and len([l for l in lines if l[:2] in ("1,", "2,")]) == 4
    assert lines.index("2 lanes, lowest full-data MSE first (every lane's own loss beside it)") == 5  # after the history's header and 4 rows
    with open(target, "w") as f:  # --json keeps stdout for the JSON object: a history there is refused
        out = subprocess.run([*LINREG, "sweep", "--lr", "0.1,0.2", "--history", "/dev/stdout", "--json",
                              "--no-save"], stdout=f, stderr=subprocess.PIPE, text=True, timeout=120)
    assert out.returncode == 2 and "--history" in out.stderr and "--json" in out.stderr
    assert target.read_text() == ""


def test_json_is_all_of_stdout_even_with_the_plot_and_a_diverged_lane():
    """`linreg sweep ... --json | jq` works: stdout parses as one JSON object; the table and the plot are on
    stderr."""
    out = linreg("sweep", "--loss", "mse", "--lr", "0.01,10", "--epochs", "2", "--plot", "--json", "--no-save")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout, parse_constant=lambda c: pytest.fail(c))
    assert len(summary["lanes"]) == 2 and out.stdout.count("\n") == 1
    assert "2 lanes, lowest full-data MSE first (every lane's own loss beside it)" in out.stderr and "final loss against learning rate" in out.stderr


def test_repeated_lanes_are_noted_and_all_diverged_plot_says_why():
    out = linreg("sweep", "--lr", "0.1,0.1", "--epochs", "1", "--no-save")
    assert out.returncode == 0 and "lane 2 has the same settings as lane 1" in out.stderr
    out = linreg("sweep", "--loss", "mse", "--lr", "5,10", "--plot", "--no-save")
    assert out.returncode == 3 and "every lane diverged" in out.stdout and "nothing to draw" in out.stdout


def test_lanes_on_different_losses_are_ranked_in_one_unit_with_their_own_loss_beside(tmp_path):
    # MAE, MSE and Huber values are in different units: the ranking is by full-data MSE, the same for all
    out = linreg("sweep", "--loss", "mae,mse,huber", "--epochs", "5", "--json", "--runs-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    lanes = json.loads(out.stdout)["lanes"]
    assert [r["mse"] for r in lanes] == sorted(r["mse"] for r in lanes)
    assert {r["loss"] for r in lanes} == {"mae", "mse", "huber"}
    for r in lanes:  # each lane's MSE is its summary's, its own loss beside it
        assert r["mse"] == r["summary"]["metrics"]["train"]["mse"] and r["final_loss"] == r["summary"]["metrics"]["train"]["loss"]
        assert r["verdict"] in ("converged", "not converged")


def test_lanes_are_counted_from_the_lists_before_any_is_made():
    """300 × 300 × 300 values: refused from the lists' lengths at once (it used to build 27 million lanes
    and die of memory)."""
    many = ",".join(str(i) for i in range(1, 301))
    out = linreg("sweep", "--batch-size", many, "--epochs", many, "--patience", many, "--no-save")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "= 27,000,000 lanes; a sweep runs at most 256" in out.stderr


def test_the_lanes_are_built_without_torch_so_a_signal_while_torch_loads_ends_the_sweep_at_once():
    """build_configs imported race.py (for its lane limit), so torch loaded outside sweep_main's waiting():
    a SIGTERM while it loaded waited for the whole import (2.3 s on a loaded machine); a refused list, too."""
    import sys

    code = ("import sys\n"
            "from tui.options import build_parser\n"
            "from tui.sweep import PROG, build_configs\n"
            "ns = build_parser(PROG, headless=True, sweep=True).parse_args(['--lr', '0.1,0.2', '--optimizer', 'sgd,adam'])\n"
            "assert len(build_configs(ns)) == 4\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_lanes_input_is_protected_from_every_output(tmp_path):
    kept = []
    for name in ("p1.json", "p2.json"):
        (tmp_path / name).write_text('{"weights": [0, 0, 0, 0], "bias": 0}')
        kept.append((tmp_path / name).read_text())
    out = linreg("sweep", "--init-params", f"{tmp_path / 'p1.json'},{tmp_path / 'p2.json'}",
                 "--history", str(tmp_path / "p2.json"), "--epochs", "1", "--no-save")
    assert out.returncode == 2 and "is the --init-params input file" in out.stderr
    assert [(tmp_path / n).read_text() for n in ("p1.json", "p2.json")] == kept


def test_a_full_disk_under_stdout_is_exit_1_with_one_line():
    with open("/dev/full", "w") as full:
        out = subprocess.run([*LINREG, "sweep", "--lr", "0.01,0.02", "--epochs", "2", "--json", "--no-save"],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert out.returncode == 1 and "could not write the output: No space left on device" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_apps_race_and_the_sweep_write_the_same_race_folder(tmp_path):
    """One life: `linreg sweep` and the app's race (the engine drives the same RaceController) give the same
    folder, file for file, byte for byte but for the folders' time stamps; lanes of mixed losses included
    (each epoch's full-data MSE is recorded in both)."""
    import re

    from linreg_core.session import commands as c
    from linreg_core.session.race_controller import RaceController
    from tui.options import build_parser
    from tui.sweep import build_configs

    argv = ["--lr", "0.01,0.1", "--loss", "mae,mse", "--epochs", "3", "--samples", "64", "--device", "cpu"]
    swept = subprocess.run([*LINREG, "sweep", *argv, "--runs-dir", str(tmp_path / "sweep")], capture_output=True,
                           text=True, timeout=120)
    assert swept.returncode == 0, swept.stderr
    ctl = RaceController(lambda _event: None, str(tmp_path / "app"))
    ctl.handle(c.Configure(build_configs(build_parser("linreg sweep", headless=True, sweep=True).parse_args(argv))))
    ctl.handle(c.Toggle())
    while ctl.wants_steps:
        ctl.advance(50)

    def contents(root):
        stamp = re.compile(r"\d{8}-\d{6}")
        return {stamp.sub("STAMP", str(p.relative_to(root))): stamp.sub("STAMP", p.read_text())
                for p in sorted(root.rglob("*")) if p.is_file()}

    sweep, app = contents(tmp_path / "sweep"), contents(tmp_path / "app")
    assert len(sweep) == 1 + 1 + 4 * 4 and sweep.keys() == app.keys()
    for name in sweep:
        assert sweep[name] == app[name], name
