"""The runs folder: every finished epoch is on disk as soon as it ends; a failed write never stops a run
and is retried; past runs are listed newest first with how they ended."""
import csv
import json
from pathlib import Path

from linreg_core.settings import configfile
from linreg_core.settings.config import Config
from linreg_core.storage.runs import CONFIG, HISTORY, PARAMS, SUMMARY, RunRecorder, default_runs_dir, list_runs
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import trainer_for


def record(runs_dir, config=Config(), stop_after_epochs=None):
    trainer = trainer_for(config)
    ds = trainer.experiment.dataset
    rec = RunRecorder(runs_dir, config, ds.feature_names, ds.target_name)
    seen = []
    for r in trainer.run(chunk=trainer.batches_per_epoch):
        if r.epoch_result is not None:
            rec.add_epoch(r.epoch_result)
            seen.append(r.epoch_result)
            # on disk before the next epoch starts: a kill now loses nothing finished
            assert len(read_rows(rec.folder)) == len(seen)
            if stop_after_epochs and len(seen) == stop_after_epochs:
                break
    return trainer, rec, seen


def read_rows(folder):
    with open(folder / HISTORY, newline="") as f:
        return list(csv.reader(f))[1:]


def test_a_run_folder_holds_config_history_params_and_summary(tmp_path):
    trainer, rec, epochs = record(tmp_path / "runs")
    s = summarize(trainer)
    rec.finish(s.weights, s.bias, s.as_dict())
    rec.close()
    assert configfile.load(str(rec.folder / CONFIG)) == Config()
    rows = read_rows(rec.folder)
    assert len(rows) == 50 and [float(r[1]) for r in rows] == [e.loss_sum for e in epochs]
    assert json.loads((rec.folder / PARAMS).read_text())["weights"] == list(s.weights)
    assert json.loads((rec.folder / SUMMARY).read_text())["status"] == "finished"
    [info] = list_runs(tmp_path / "runs")
    assert (info.status, info.epochs, info.folder) == ("finished", 50, rec.folder)
    assert info.last_loss == epochs[-1].loss_mean


def test_a_run_cut_off_is_listed_with_its_finished_epochs(tmp_path):
    _, rec, _ = record(tmp_path, stop_after_epochs=3)  # then the process "dies": nothing more is written
    [info] = list_runs(tmp_path)
    assert (info.status, info.epochs) == ("cut off", 3)
    assert not (rec.folder / SUMMARY).exists()


def test_two_runs_in_the_same_second_get_their_own_folders(tmp_path):
    a = RunRecorder(tmp_path, Config(), ("x0",), "y")
    b = RunRecorder(tmp_path, Config(), ("x0",), "y")
    assert a.folder != b.folder and a.folder.is_dir() and b.folder.is_dir()


def test_a_failed_write_keeps_the_rows_and_is_retried(tmp_path):
    blocker = tmp_path / "runs"
    blocker.write_text("a file where the runs folder should be")  # mkdir fails, as on a read-only disk
    trainer = trainer_for(Config().replace(epochs=3))
    ds = trainer.experiment.dataset
    rec = RunRecorder(blocker, trainer.config, ds.feature_names, ds.target_name)
    assert rec.error and str(blocker) in rec.error and rec.folder is None
    for r in trainer.run(chunk=32):
        if r.epoch_result is not None:
            rec.add_epoch(r.epoch_result)  # never raises; the rows wait in memory
    s = summarize(trainer)
    rec.finish(s.weights, s.bias, s.as_dict())
    assert rec.error is not None
    blocker.unlink()  # the user frees the path
    assert rec.retry() and rec.error is None
    rec.close()
    assert len(read_rows(rec.folder)) == 3 and (rec.folder / PARAMS).exists() and (rec.folder / SUMMARY).exists()


def test_runs_go_to_the_xdg_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_runs_dir() == tmp_path / "linreg" / "runs"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the XDG spec: ignore a relative value
    assert str(default_runs_dir()).endswith(".local/share/linreg/runs")


def test_listing_a_missing_or_odd_folder_is_empty_not_an_error(tmp_path):
    assert list_runs(tmp_path / "nothing-here") == []
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / CONFIG).write_text("x")
    (tmp_path / "broken" / HISTORY).write_bytes(b"\xff\xfe garbage")
    [info] = list_runs(tmp_path)
    assert info.name == "broken" and info.status == "cut off"


def test_a_row_torn_by_a_failed_write_is_cut_before_writing_again(tmp_path):
    """A full disk can leave half a row behind; the retry must not glue the next row to it."""
    trainer = trainer_for(Config().replace(epochs=3))
    ds = trainer.experiment.dataset
    rec = RunRecorder(tmp_path, trainer.config, ds.feature_names, ds.target_name)
    results = [r.epoch_result for r in trainer.run(chunk=32) if r.epoch_result]
    rec.add_epoch(results[0])
    rec.close()
    with open(rec.folder / HISTORY, "a") as f:
        f.write("1,208.18")  # what a write cut short by ENOSPC leaves
    rec.add_epoch(results[1])
    rec.add_epoch(results[2])
    rec.close()
    rows = read_rows(rec.folder)
    assert [r[0] for r in rows] == ["0", "1", "2"] and all(len(r) == 10 for r in rows)


FULL_DISK_SCRIPT = r"""
import json, resource, signal, sys
from linreg_core.settings.config import Config
from linreg_core.storage.runs import RunRecorder
from linreg_core.training.trainer import Trainer, trainer_for

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG instead
folder, limit = sys.argv[1], int(sys.argv[2])
trainer = trainer_for(Config().replace(epochs=40))
ds = trainer.experiment.dataset
rec = RunRecorder(folder, trainer.config, ds.feature_names, ds.target_name)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))  # the disk is full from here on
errors = 0
for r in trainer.run(chunk=32):
    if r.epoch_result is not None:
        rec.add_epoch(r.epoch_result)
        errors += rec.error is not None
        with open(rec.folder / "history.csv", "rb") as f:
            assert f.read().endswith(b"\n"), "a torn row after a failed write"
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
rec.finish([0.0] * 4, 0.0, {"status": "finished"})
print(json.dumps({"errors": errors, "saved": rec.error is None, "folder": str(rec.folder)}))
"""


def test_a_full_disk_never_leaves_a_partial_row_and_writing_resumes(tmp_path):
    """The file-size limit stands in for a full disk: a write that crosses it is cut short (a partial row),
    the next one fails. The recorder cuts the partial row at once and writes every row once space returns."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(tmp_path), "2000"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["errors"] > 0 and result["saved"]
    rows = read_rows(Path(result["folder"]))
    assert [int(r[0]) for r in rows] == list(range(40)) and all(len(r) == 10 for r in rows)


def test_a_runs_folder_that_is_not_a_folder_is_said_so(tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for not_a_folder in (fifo, "/dev/null"):
        rec = RunRecorder(not_a_folder, Config(), ("x0",), "y")
        assert rec.error == f"could not write the run to {not_a_folder}: it is not a folder"
