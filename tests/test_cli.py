"""`linreg train` as a script sees it: output, exit status, files, pipes."""
import json
import subprocess
import sys

import pytest

LINREG = [sys.executable, "-m", "tui"]


def linreg(*args, **kw):
    return subprocess.run([*LINREG, *args], capture_output=True, text=True, timeout=120, **kw)


def test_train_defaults_print_the_tutorial_log_and_the_table():
    out = linreg("train")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "epoch 000: loss: 227.864024"
    assert sum(l.startswith("epoch ") for l in lines) == 50 and lines[49].startswith("epoch 049: loss: 0.5")
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
    assert "diverged at epoch 000" in out.stderr and "smaller learning rate" in out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["status"] == "diverged" and all(isinstance(w, float) for w in summary["weights"])


def test_pipe_into_head_ends_without_a_traceback():
    out = subprocess.run(" ".join(LINREG) + " train --epochs 2000 | head -1", shell=True, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout == "epoch 000: loss: 227.864024\n"
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_app_without_a_terminal_refuses_with_a_hint():
    out = linreg(stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "linreg train" in out.stderr and out.stdout == ""


@pytest.mark.parametrize("sig,status", [(2, 130), (15, 143), (1, 129)])
def test_signals_stop_a_headless_run_with_its_summary(sig, status):
    import signal as signal_module

    proc = subprocess.Popen([*LINREG, "train", "--epochs", "100000", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("epoch 000: loss:")
    proc.send_signal(signal_module.Signals(sig))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == status and "Traceback" not in err
    summary = json.loads(out.splitlines()[-1])
    assert summary["status"] == "interrupted" and summary["epochs"] >= 1


def test_cuda_without_a_gpu_is_refused_naming_the_option():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = linreg("train", "--device", "cuda", "--epochs", "1")
    assert out.returncode == 2 and "--device" in out.stderr and "use cpu or auto" in out.stderr
