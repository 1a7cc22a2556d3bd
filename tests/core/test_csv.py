"""Broken CSV files: each refused with the file, the 1-based line and the column; nothing half-loaded."""
import os

import pytest
from hypothesis import given, settings, strategies as st

from linreg_core.settings.config import Config
from linreg_core.data.csvdata import read_csv
from linreg_core.settings.errors import DataError
from linreg_core.data.experiment import prepare
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import trainer_for

BROKEN = {  # name: (bytes, expected words in the message, line, column)
    "text_cell": (b"a,b,y\n1,2,3\n4,five,6\n", "not a number", 3, "b"),
    "empty_cell": (b"a,b,y\n1,,3\n", "empty", 2, "b"),
    "extra_field": (b"a,b,y\n1,2,3\n1,2,3,4\n", "4 fields", 3, None),
    "missing_field": (b"a,b,y\n1,2,3\n1,2\n", "2 fields", 3, None),
    "header_only": (b"a,b,y\n", "no rows", None, None),
    "empty_file": (b"", "empty", None, None),
    "one_column": (b"y\n1\n2\n", "one column", 1, None),
    "semicolons": (b"a;b;y\n1;2;3\n", "';'-separated", 1, None),
    "non_utf8": (b"a,b,y\n1,2,3\n\xff\xfe,2,3\n", "not UTF-8", 3, None),
    "huge_field": (b"a,b,y\n1,2," + b"9" * 200_000 + b"\n", "characters", 2, None),
    "long_field": (b"a,b,y\n1,2," + b"9" * 5_000 + b"\n", "5,000 characters", 2, "y"),
    "no_header": (b"1,2,3\n4,5,6\n", "header", 1, None),
    "nan_cell": (b"a,b,y\n1,nan,3\n", "not a number", 2, "b"),
    "inf_cell": (b"a,b,y\n1,2,inf\n", "not a number", 2, "y"),
    "duplicate_header": (b"a,a,y\n1,2,3\n", "twice", 1, "a"),
    "unterminated_quote": (b'a,b,y\n1,"2,3\n', "never closed", 2, None),
    "late_unterminated_quote": (b"a,b,y\n" + b"1,2,3\n" * 29 + b'1,"2,3\n' + b"1,2,3\n" * 30, "never closed", 31, None),
    "nul_bytes": (b"\0" * (3 << 20), "longer than", 1, None),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_is_refused_with_line_and_column(tmp_path, name):
    content, words, line, column = BROKEN[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_csv(str(path))
    err = info.value
    assert words in str(err) and str(path) in str(err)
    assert err.line == line and err.column == column
    if line:
        assert f"line {line}" in str(err)


def test_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,y\n1,2\n2,4\n".encode())
    assert read_csv(str(path)).names == ("x", "y")


def test_paths_missing_directory_fifo_and_tilde(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="no such file"):
        read_csv(str(tmp_path / "missing.csv"))
    with pytest.raises(DataError, match="is a directory"):
        read_csv(str(tmp_path))
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        read_csv(str(fifo))  # must not block reading the pipe
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "x.csv").write_text("x,y\n1,2\n2,4\n")
    assert read_csv("~/x.csv").rows == [(1.0, 2.0), (2.0, 4.0)]


def test_csv_training_end_to_end_with_chosen_target_and_features(tmp_path):
    rows = ["a,b,noise,target"] + [f"{i},{(i * 7) % 5},{(i * 3) % 2},{2 * i - 3 * ((i * 7) % 5) + 1}" for i in range(40)]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n")
    config = Config.from_options({"csv": str(path), "target": "target", "features": "a,b", "loss": "mse",
                                  "standardize": "yes", "epochs": "300", "lr": "0.05"})
    trainer = trainer_for(config)
    for _ in trainer.run(chunk=8):
        pass
    s = summarize(trainer)
    assert s.feature_names == ("a", "b") and s.target_name == "target" and s.true_weights is None
    assert s.ls_weights == pytest.approx((2.0, -3.0), abs=1e-6) and s.ls_bias == pytest.approx(1.0, abs=1e-6)
    assert s.weights == pytest.approx((2.0, -3.0), abs=1e-2)


def test_unknown_target_column_names_the_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(DataError, match="no column 'z'.*columns: a, b"):
        prepare(Config.from_options({"csv": str(path), "target": "z"}))


@settings(deadline=None, max_examples=60)
@given(st.binary(max_size=300))
def test_reader_never_crashes_on_any_bytes(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(content)
    try:
        table = read_csv(str(path))
    except DataError as e:
        assert str(e)
    else:
        assert table.rows and all(len(r) == len(table.names) for r in table.rows)


def test_a_wrong_column_is_reported_before_a_bad_cell(tmp_path):
    """Columns are known from the header: --target nope is the error, not the bad cell on line 57."""
    from linreg_core.settings.config import Config
    from linreg_core.training.trainer import trainer_for

    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "1,2,3\n" * 55 + "1,oops,3\n")
    with pytest.raises(DataError) as e:
        trainer_for(Config().replace(csv=str(path), target="nope"))
    assert e.value.field == "target" and "no column 'nope'" in str(e.value) and "line" not in str(e.value)
    with pytest.raises(DataError) as e:
        trainer_for(Config().replace(csv=str(path), features=("a", "zz")))
    assert e.value.field == "features" and "'zz'" in str(e.value)
    with pytest.raises(DataError) as e:  # the bad cell itself, once the columns are right
        trainer_for(Config().replace(csv=str(path)))
    assert "line 57" in str(e.value) and "'b'" in str(e.value)


def test_columns_that_are_not_used_may_hold_text(tmp_path):
    from linreg_core.settings.config import Config
    from linreg_core.training.trainer import trainer_for

    path = tmp_path / "d.csv"
    path.write_text("name,x,y\nann,1,2\nbob,2,4.1\ncy,3,5.9\n")
    trainer = trainer_for(Config().replace(csv=str(path), features=("x",), target="y"))
    assert trainer.experiment.dataset.feature_names == ("x",) and trainer.n_train == 3


def test_a_csv_too_large_for_memory_is_refused_while_streaming(tmp_path, monkeypatch):
    """The rows a file will hold are projected from its first 65,536 and checked against memory: refused
    long before the end is read (here the limit is made small; the estimate is the measured 40 B a cell)."""
    from linreg_core.settings import config

    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write("x,y\n")
        f.writelines(f"{i % 97}.5,{i % 13}.25\n" for i in range(400_000))
    monkeypatch.setattr(config, "memory_limit_bytes", lambda: 20 * 2**20)
    with pytest.raises(DataError) as e:
        trainer_for(Config().replace(csv=str(path)))
    message = str(e.value)
    assert "before reading it all" in message and "MiB of memory" in message
    projected = int(message.split(" samples")[0].split()[-1].replace(",", ""))
    assert 390_000 <= projected <= 410_000  # projected from the first rows, not counted to the end
