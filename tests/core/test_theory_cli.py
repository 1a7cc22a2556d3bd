"""`linreg theory` and `linreg train --json`'s `theory` key (in process, through tui.cli.main)."""
import json

from tui.cli import main


def test_theory_prints_the_table(capsys):
    assert main(["theory", "--loss", "mse", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "condition number" in out and "stable" in out and "noise floor" in out and "epoch 002" in out


def test_theory_json_is_one_object(capsys):
    assert main(["theory", "--loss", "mse", "--epochs", "2", "--shuffle", "replace", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["applies"] and len(record["prediction"]["epoch_mean"]) == 2
    assert record["prediction"]["kind"] == "expected"


def test_theory_says_why_not(capsys):
    assert main(["theory", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record == {"applies": False, "reason": record["reason"]} and "MAE" in record["reason"]


def test_a_refused_option_is_one_line_naming_it(capsys):
    assert main(["theory", "--lr", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--lr" in err


def test_train_json_carries_theory(capsys):
    assert main(["train", "--loss", "mse", "--epochs", "2", "--no-save", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["theory"]["applies"] is True and "step_mean" not in record["theory"]["prediction"] and len(record["theory"]["prediction"]["epoch_mean"]) == 2
    assert main(["train", "--epochs", "1", "--no-save", "--json"]) == 0
    theory = json.loads(capsys.readouterr().out.splitlines()[-1])["theory"]
    assert theory["applies"] is False and "MAE" in theory["reason"]
