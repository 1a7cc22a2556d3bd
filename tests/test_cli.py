"""`linreg train` as a script sees it: output, exit status, files, pipes."""
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from linreg_core.settings.config import Config
from linreg_core.training.trainer import trainer_for
from tests.tutorial_oracle import run_tutorial

LINREG = [sys.executable, "-m", "tui"]


@functools.cache
def tutorial_log(epochs: int) -> tuple[str, ...]:
    """The tutorial's log lines, from its own loop in this process on the device `linreg train` trains on by
    default (the one a Trainer of the default settings resolves, `auto`) under this environment, which the
    subprocess inherits (ATEN_CPU_CAPABILITY included): the same kernels. The sixth decimal depends on them,
    the equality does not."""
    logged, _, _ = run_tutorial(0, epochs=epochs, device=trainer_for(Config()).device)
    return tuple(f"epoch {i:03d}: loss: {loss:f}" for i, loss in enumerate(logged))


def wait_for(condition, what: str, timeout: float = 60.0):
    """condition()'s first true value, polled; fail naming `what` if it never comes within timeout seconds."""
    import time

    end = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.02)
    return found


def first_line() -> str:
    return tutorial_log(1)[0]


def linreg(*args, **kw):
    return subprocess.run([*LINREG, *args], capture_output=True, text=True, timeout=120, **kw)


def test_train_defaults_print_the_tutorial_log_and_the_table():
    out = linreg("train")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert sum(l.startswith("epoch ") for l in lines) == 50 and tuple(lines[:50]) == tutorial_log(50)
    assert 0.4 < float(lines[49].split()[-1]) < 0.6  # about 0.5, as the tutorial prints
    assert any(l.startswith("w[x0]") and "8.1000" in l for l in lines)
    assert "\x1b[" not in out.stdout  # piped: plain text, no escape codes


def test_json_summary_is_the_last_line_and_strict(tmp_path):
    hist, params = tmp_path / "h.csv", tmp_path / "p.json"
    out = linreg("train", "--epochs", "3", "--json", "--history", str(hist), "--save-params", str(params))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.splitlines()[-1], parse_constant=lambda c: pytest.fail(c))
    assert summary["status"] == "finished" and summary["epochs"] == 3 and summary["steps"] == 96
    assert summary["true_weights"] == [8.1, 2.0, 2.0, 4.0] and summary["metrics"]["test"] is None
    assert set(summary["metrics"]["train"]) == {"loss", "mse", "rmse", "mae", "r2"}
    assert hist.read_text().splitlines()[0] == "epoch,loss_sum,loss_mean,test_loss,lr,w_x0,w_x1,w_x2,w_x3,bias"
    assert len(hist.read_text().splitlines()) == 4
    saved = json.loads(params.read_text())
    assert saved["weights"] == summary["weights"] and saved["state_dict"]["bias"] == [summary["bias"]]


@pytest.mark.parametrize("args,words", [(["--lr", "abc"], "--lr"), (["--epochs", "0"], "--epochs"),
                                        (["--loss", "hinge"], "--loss"), (["--nope"], "unrecognized"),
                                        (["--csv", "/no/such.csv"], "/no/such.csv")])
def test_invalid_input_exits_2_with_one_line_and_no_traceback(args, words):
    out = linreg("train", *args)
    assert out.returncode == 2
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_divergence_exits_3_and_says_where_and_what_to_try():
    out = linreg("train", "--loss", "mse", "--lr", "10", "--json")
    assert out.returncode == 3
    assert "diverged at step " in out.stderr and " of epoch 000): the loss" in out.stderr
    assert "lr 10 is too large" in out.stderr and "try --lr 0." in out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["status"] == "diverged" and all(isinstance(w, float) for w in summary["weights"])
    div = summary["divergence"]  # counted as the screen counts: the diverging step and its batch from 1
    assert div["step"] == summary["steps"] + 1 and f"diverged at step {div['step']} (batch {div['batch']} " in out.stderr
    text = linreg("train", "--loss", "mse", "--lr", "10").stdout  # the table's title: the same step, said why
    assert f"{summary['steps']} steps (step {div['step']} diverged and was not applied)" in text


def test_pipe_into_head_ends_without_a_traceback():
    out = subprocess.run(" ".join(LINREG) + " train --epochs 2000 | head -1", shell=True, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout == first_line() + "\n"
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_app_without_a_terminal_refuses_with_a_hint():
    out = linreg(stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "linreg train" in out.stderr and out.stdout == ""


@pytest.mark.parametrize("sig,status", [(2, 130), (15, 143), (1, 129)])
def test_signals_stop_a_headless_run_with_its_summary_and_its_files(sig, status, tmp_path):
    import signal as signal_module

    hist = tmp_path / "h.csv"
    # bufsize=0: readline takes one line and nothing more, so communicate() below sees every other line
    proc = subprocess.Popen([*LINREG, "train", "--epochs", "100000", "--json", "--runs-dir", str(tmp_path / "runs"),
                             "--history", str(hist)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    assert proc.stdout.readline().startswith(b"epoch 000: loss:")
    proc.send_signal(signal_module.Signals(sig))
    out, err = (b.decode() for b in proc.communicate(timeout=30))
    assert proc.returncode == status and "Traceback" not in err
    summary = json.loads(out.splitlines()[-1])
    assert summary["status"] == "interrupted" and summary["epochs"] >= 1
    printed = 1 + sum(line.startswith("epoch ") for line in out.splitlines())  # + the line read above
    assert len(hist.read_text().splitlines()) == 1 + printed == 1 + summary["epochs"]  # the partial history
    [run] = (tmp_path / "runs").iterdir()
    assert len((run / "history.csv").read_text().splitlines()) == 1 + printed
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"


def test_a_killed_run_keeps_every_finished_epoch_and_no_torn_row(tmp_path):
    import signal as signal_module

    proc = subprocess.Popen([*LINREG, "train", "--epochs", "100000", "--runs-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for _ in range(200):
        proc.stdout.readline()
    # 200 epochs printed; kill once 200 rows are in history.csv too (the order of the two writes is not the
    # claim), while the run is still training flat out
    [run] = wait_for(lambda: list(tmp_path.iterdir()), "the run's folder")
    wait_for(lambda: (run / "history.csv").exists() and (run / "history.csv").read_text().count("\n") >= 201,
             "200 rows in history.csv")
    assert proc.poll() is None, "the run ended before it was killed"
    proc.send_signal(signal_module.SIGKILL)  # no handler runs: only what was already flushed survives
    proc.wait(timeout=30)
    [run] = tmp_path.iterdir()
    lines = (run / "history.csv").read_text().split("\n")
    assert lines[-1] == ""  # the file ends with a whole row
    rows = [line.split(",") for line in lines[1:-1]]
    assert len(rows) >= 200 and all(len(r) == 10 for r in rows)
    assert [int(r[0]) for r in rows] == list(range(len(rows)))
    assert not (run / "summary.json").exists()


def test_every_run_is_kept_and_its_config_reproduces_it(tmp_path):
    runs = tmp_path / "runs"
    first = linreg("train", "--epochs", "5", "--lr", "0.05", "--json", "--runs-dir", str(runs))
    assert first.returncode == 0, first.stderr
    [run] = runs.iterdir()
    assert f"run kept in {run}" in first.stderr
    again = linreg("train", "--config", str(run / "config.toml"), "--json", "--no-save")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.splitlines()[-1])["weights"] == json.loads(first.stdout.splitlines()[-1])["weights"]
    assert len(list(runs.iterdir())) == 1  # --no-save kept nothing
    longer = linreg("train", "--config", str(run / "config.toml"), "--epochs", "6", "--json", "--no-save")
    assert json.loads(longer.stdout.splitlines()[-1])["epochs"] == 6  # options on the command line win


def test_runs_go_to_the_users_data_folder_by_default(private_data_home):
    out = linreg("train", "--epochs", "1")
    assert out.returncode == 0, out.stderr
    [run] = (private_data_home / "linreg" / "runs").iterdir()
    assert (run / "params.json").exists() and (run / "config.toml").exists()


def test_a_run_starts_from_saved_parameters(tmp_path):
    params = tmp_path / "p.json"
    linreg("train", "--save-params", str(params), "--no-save")
    out = linreg("train", "--init-params", str(params), "--epochs", "1", "--no-save")
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.splitlines()[0].split()[-1]) < 1.0  # from scratch the first epoch logs 227.86


@pytest.mark.parametrize("content,words", [
    ("[training]\nlr = -1\n", "--config: " ),
    ("[training]\nlr = -1\n", "c.toml, line 2: learning rate (lr): expected a number greater than 0"),
    ("lr = \n", "c.toml, line 1: is not valid TOML"),
])
def test_a_bad_config_file_exits_2_naming_file_and_line(tmp_path, content, words):
    (tmp_path / "c.toml").write_text(content)
    out = linreg("train", "--config", str(tmp_path / "c.toml"))
    assert out.returncode == 2 and words in out.stderr and len(out.stderr.splitlines()) == 1


def test_a_pickle_for_init_params_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "ran"
    evil = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."  # protocol-0 pickle calling os.system
    (tmp_path / "p.pkl").write_bytes(evil)
    out = linreg("train", "--init-params", str(tmp_path / "p.pkl"), "--no-save")
    assert out.returncode == 2 and "is a pickle" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()


def test_an_unwritable_runs_folder_warns_and_the_run_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = linreg("train", "--epochs", "2", "--runs-dir", str(blocker / "runs"))
    assert out.returncode == 1 and "could not write the run" in out.stderr and "Traceback" not in out.stderr
    assert sum(line.startswith("epoch ") for line in out.stdout.splitlines()) == 2


def test_cuda_without_a_gpu_is_refused_naming_the_option():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = linreg("train", "--device", "cuda", "--epochs", "1")
    assert out.returncode == 2 and "--device" in out.stderr and "use cpu or auto" in out.stderr


def _close_stdin():
    import os
    os.close(0)


def test_a_closed_stdin_neither_breaks_train_nor_hangs_the_app():
    out = subprocess.run([*LINREG, "train", "--epochs", "2", "--no-save"], capture_output=True, text=True,
                         timeout=120, preexec_fn=_close_stdin)
    assert out.returncode == 0 and out.stdout.startswith(first_line()), out.stderr
    app = subprocess.run(LINREG, capture_output=True, text=True, timeout=60, preexec_fn=_close_stdin)
    assert app.returncode == 2 and "linreg train" in app.stderr and "Traceback" not in app.stderr


def test_a_bad_parameter_file_is_refused_naming_its_option(tmp_path):
    (tmp_path / "p.json").write_text('{"weights": [1, 2], "bias": 0}')
    out = linreg("train", "--init-params", str(tmp_path / "p.json"), "--no-save")
    assert out.returncode == 2 and out.stderr.startswith(
        "linreg train: initial parameters (--init-params): ") and "holds 2 weights" in out.stderr


def test_the_terminal_table_shows_column_names_verbatim(tmp_path):
    """On a terminal the summary is a rich table: a column named [age] must not be eaten as markup."""
    import io

    from linreg_core.settings.config import Config
    from linreg_core.analysis.summary import summarize
    from linreg_core.training.trainer import trainer_for
    from tui.headless import _print_summary

    path = tmp_path / "d.csv"
    path.write_text("[age],[/b]x,y\n1,2,3\n2,1,4\n3,5,1\n4,4,4\n")
    trainer = trainer_for(Config().replace(csv=str(path), epochs=1))
    out = io.StringIO()
    _print_summary(summarize(trainer), True, out)
    assert "w[[age]]" in out.getvalue() and "w[[/b]x]" in out.getvalue()


def test_an_output_file_that_is_an_input_is_refused_before_training(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n1,2\n2,4\n3,6\n")
    before = data.read_text()
    out = linreg("train", "--csv", str(data), "--history", str(data), "--no-save")
    assert out.returncode == 2 and "--history" in out.stderr and "--csv" in out.stderr
    assert data.read_text() == before


@pytest.mark.parametrize("args,words", [
    (["--epochs", "٣"], "--epochs"), (["--epochs", "３"], "--epochs"),
    (["--samples", "2", "--test-fraction", "0.5"], "--test-fraction"),
])
def test_refusals_name_the_right_option(args, words):
    out = linreg("train", *args, "--no-save")
    assert out.returncode == 2 and words in out.stderr and "--csv" not in out.stderr, out.stderr


def test_negative_values_after_an_option():
    out = linreg("train", "--weights", "-1,2", "--bias", "-3e-2", "--epochs", "1", "--json", "--no-save")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["true_weights"] == [-1.0, 2.0] and summary["true_bias"] == -0.03


def test_output_paths_are_written_through_links_and_what_is_not_the_users_is_refused_before_training(tmp_path):
    """A symlink is written through (the link stays); a FIFO, a device, a hard link, another user's file and
    a link loop are refused with one line before any training (exit 2, nothing written, no wait)."""
    import os

    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    out = linreg("train", "--epochs", "2", "--history", str(link), "--no-save")
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and target.read_text().startswith("epoch,loss_sum")  # through the link

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    kept = tmp_path / "kept.json"
    kept.write_text("mine\n")
    os.link(kept, tmp_path / "other-name.json")
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    refused = {str(fifo): "is a pipe (FIFO), not a file", "/dev/full": "is a device, not a file",
               str(kept): "has 2 names (a hard link)", str(loop): "a link that loops back on itself",
               f"{tmp_path}/new/": "names a folder (it ends with /)"}
    if os.geteuid() == 0:  # (another user's file can only be made here as root)
        theirs = tmp_path / "theirs.json"
        theirs.write_text("theirs\n")
        os.chown(theirs, 65534, 65534)
        refused[str(theirs)] = "belongs to another user (uid 65534)"
    for path, words in refused.items():
        out = linreg("train", "--epochs", "2", "--save-params", path, "--no-save")
        assert out.returncode == 2 and words in out.stderr and out.stderr.count("\n") == 1, (path, out.stderr)
        assert out.stdout == ""  # refused before the first epoch
    assert kept.read_text() == "mine\n" and fifo.is_fifo()


def test_a_full_disk_on_an_output_file_is_a_clean_exit_1(tmp_path):
    """The file-size limit (RLIMIT_FSIZE) makes the history's write fail as a full disk does: one line, exit
    1, the old file untouched (the write was to a temporary file)."""
    import resource

    history = tmp_path / "h.csv"
    history.write_text("old\n")

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    out = subprocess.run([*LINREG, "train", "--epochs", "100", "--history", str(history), "--no-save"],
                         capture_output=True, text=True, timeout=120, preexec_fn=small_files)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"could not write {history}: File too large" in out.stderr
    assert history.read_text() == "old\n" and not list(tmp_path.glob(".linreg-*"))


def test_json_to_a_full_disk_says_so_and_exits_1(tmp_path):
    with open("/dev/full", "w") as full:
        out = subprocess.run([*LINREG, "train", "--epochs", "1", "--json", "--runs-dir", str(tmp_path)],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr and "could not write the output" in out.stderr
    [run] = tmp_path.iterdir()
    assert (run / "summary.json").exists()  # the run's own files do not depend on stdout


def test_head_ends_the_run_in_order(tmp_path):
    out = subprocess.run(" ".join(LINREG) + f" train --epochs 100000 --runs-dir {tmp_path} | head -1; "
                         "echo status ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.splitlines() == [first_line(), "status 141"] and "Traceback" not in out.stderr
    [run] = tmp_path.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "interrupted" and (run / "params.json").exists()
    assert len((run / "history.csv").read_text().splitlines()) == 1 + summary["epochs"]


def test_the_table_compares_with_least_squares_and_drops_true_for_csv(tmp_path):
    out = linreg("train", "--epochs", "2", "--no-save", "--json")
    header = next(l for l in out.stdout.splitlines() if l.startswith("parameter"))
    assert "|learned − true|" in header and "|learned − optimum|" in header and "MAE optimum" in header
    assert any(l.startswith("least squares (train):") and "r² 1.0000" in l for l in out.stdout.splitlines())
    assert any(l.startswith("MAE optimum (train):") for l in out.stdout.splitlines())
    assert json.loads(out.stdout.splitlines()[-1])["least_squares"]["metrics"]["r2"] > 0.999
    data = tmp_path / "d.csv"
    data.write_text("a,y\n1,2\n2,4.1\n3,5.9\n4,8.2\n")
    out = linreg("train", "--csv", str(data), "--epochs", "2", "--no-save")
    header = next(l for l in out.stdout.splitlines() if l.startswith("parameter"))
    assert "true" not in header and "|learned − optimum|" in header


def test_help_names_both_commands_and_the_version():
    out = linreg("--help")
    assert "linreg train [options]" in out.stdout and "examples:" in out.stdout and "default none" not in out.stdout
    assert linreg("--version").stdout.startswith("linreg ")
    assert "exit status" in linreg("train", "--help").stdout


def test_the_json_config_holds_numbers_and_only_the_fields_that_apply(tmp_path):
    out = linreg("train", "--epochs", "2", "--lr", "0.05", "--no-save", "--json")
    config = json.loads(out.stdout.splitlines()[-1])["config"]
    assert config["lr"] == 0.05 and config["epochs"] == 2 and config["weights"] == [8.1, 2, 2, 4]
    data = tmp_path / "d.csv"
    data.write_text("a,y\n1,2\n2,4.1\n3,5.9\n4,8.2\n")
    out = linreg("train", "--csv", str(data), "--epochs", "2", "--no-save", "--json")
    config = json.loads(out.stdout.splitlines()[-1])["config"]
    assert config["csv"] == str(data) and not {"weights", "bias", "samples", "noise"} & set(config)


def test_trace_writes_the_first_steps_under_the_microscope(tmp_path):
    trace = tmp_path / "t.jsonl"
    out = linreg("train", "--epochs", "1", "--optimizer", "momentum", "--trace", str(trace), "--trace-steps", "4",
                 "--no-save")
    assert out.returncode == 0, out.stderr
    steps = [json.loads(line, parse_constant=lambda c: pytest.fail(c)) for line in trace.read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4]  # counted from 1, as on screen
    for a, b in zip(steps, steps[1:]):  # each step starts where the one before ended
        assert [p["after"] for p in a["parameters"]] == [p["before"] for p in b["parameters"]]
    assert set(steps[0]["parameters"][0]) >= {"name", "before", "grad", "terms", "update", "after", "delta"}
    assert "v" in steps[0]["parameters"][0]["terms"] and len(steps[0]["rows"]) == 8
    bad = linreg("train", "--trace", str(tmp_path), "--no-save")
    assert bad.returncode == 2 and "--trace" in bad.stderr and "folder" in bad.stderr


def test_follow_advice_trains_again_with_the_advice_and_reports_every_round():
    # the scaled diabetes table: every feature rms 0.048, target ≈ 152; the tutorial's settings fit it badly
    csv_path = str(Path(__file__).parent / "data" / "public" / "diabetes.csv")
    out = linreg("train", "--csv", csv_path, "--follow-advice", "--json", "--no-save")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "round 1: the settings as given"
    assert any(l.startswith("round 2: --standardize") for l in lines)
    record = json.loads(lines[-1])
    rounds = record["rounds"]
    assert rounds[0]["changes"] == {} and rounds[0]["summary"]["verdict"] == "not converged"
    assert rounds[1]["changes"]["standardize"] is True and rounds[1]["cause"] == "feature_scales"
    assert record["verdict"] == "converged"
    assert record == {**rounds[-1]["summary"], "rounds": rounds, "theory": record["theory"]}
    assert record["theory"]["applies"] is False and "MAE" in record["theory"]["reason"]  # the tutorial's loss
    assert record["metrics"]["train"]["r2"] > record["least_squares"]["metrics"]["r2"] - 0.01
    assert linreg("train", "--follow-advice", "0").returncode == 2


def test_the_memory_check_sees_the_address_space_limit():
    """Under `ulimit -v` (4 GiB) an experiment that physical memory would allow is refused before it
    allocates, naming the field and what fits; one that fits trains."""
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))

    big = subprocess.run([*LINREG, "train", "--samples", "20000000", "--epochs", "1", "--no-save"],
                         capture_output=True, text=True, timeout=120, preexec_fn=limited)
    assert big.returncode == 2 and "Traceback" not in big.stderr
    assert "samples (--samples): 20,000,000 samples × 4 features need about" in big.stderr and "fit here" in big.stderr
    fits = int(big.stderr.split("at most about ")[1].split()[0].replace(",", ""))
    # one epoch in batches of 100,000 (21 steps, not 214,000 of 10: the same data, epoch, least squares, optimum
    # and metrics, whose peak the estimate is of; a batch's own memory is under 0.1% of the data's)
    small = subprocess.run([*LINREG, "train", "--samples", str(fits // 4), "--epochs", "1", "--batch-size",
                            "100000", "--no-save"], capture_output=True, text=True, timeout=300, preexec_fn=limited)
    assert small.returncode == 0, small.stderr[-500:]


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_a_memory_limit_below_torchs_own_is_one_line_not_a_traceback(command):
    """Under `ulimit -v 900000` even the defaults' Config (built for the parser's help) was refused: a
    traceback ending in "500 samples × 4 features need about 0 MiB of memory; at most about 0 fit here"."""
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (900_000 * 1024, 900_000 * 1024))

    out = subprocess.run([*LINREG, command, "--epochs", "1", "--no-save"], capture_output=True, text=True,
                         timeout=120, preexec_fn=limited)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-500:]
    assert out.stderr.count("\n") == 1 and "leaves no room for any experiment" in out.stderr
    assert "ulimit -v" in out.stderr


def test_running_out_of_memory_anyway_is_one_line(monkeypatch, capsys):
    """Past the check (another process took the memory meanwhile), torch's allocation failure is one line
    and exit 1, never a traceback."""
    import tui.headless
    from tui.cli import main

    def exhausted(argv):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
                           "memory: you tried to allocate 1600000000 bytes. Error code 12")

    monkeypatch.setattr(tui.headless, "train_main", exhausted)
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert err == ("linreg: ran out of memory (asked for 1600000000 bytes); try fewer --samples or features, "
                   "or --dtype float32\n")


def test_follow_advice_on_a_refused_csv_prints_no_round(tmp_path):
    """The first round's header came before the CSV's refusal: "round 1: the settings as given", then exit 2."""
    (tmp_path / "empty.csv").write_text("a,y\n")
    out = linreg("train", "--no-save", "--csv", str(tmp_path / "empty.csv"), "--follow-advice", "3")
    assert out.returncode == 2 and out.stdout == "" and "has a header but no rows of data" in out.stderr
