"""Config files: what a run folder keeps reads back to the same experiment; a bad file is refused with
its path, the key's line and the same message an option would get."""
import os

import pytest
from hypothesis import given, settings, strategies as st

from linreg_core.settings import configfile
from linreg_core.settings.config import Config, TrainConfig
from linreg_core.settings.errors import DataError


def write(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def refusal(tmp_path, text) -> DataError:
    with pytest.raises(DataError) as err:
        configfile.load(write(tmp_path, text))
    return err.value


def test_the_default_config_reads_back_equal(tmp_path):
    assert configfile.load(write(tmp_path, configfile.dumps(Config()))) == Config()


configs = st.builds(
    lambda w, b, lr, epochs, loss, opt, seed, std, test: Config().replace(
        weights=tuple(w), bias=b, lr=lr, epochs=epochs, loss=loss, optimizer=opt, seed=seed, standardize=std,
        test_fraction=test),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(1e-8, 1000, allow_nan=False),
    st.integers(1, 1_000_000), st.sampled_from(["mae", "mse", "huber"]),
    st.sampled_from(["sgd", "adam", "momentum"]), st.integers(0, 2**32 - 1), st.booleans(),
    st.floats(0, 0.9, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(configs)
def test_any_config_reads_back_equal(tmp_path_factory, config):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(configfile.dumps(config), encoding="utf-8")
    assert configfile.load(str(path)) == config


def test_a_partial_file_keeps_the_defaults_and_keys_may_stand_at_the_top(tmp_path):
    config = configfile.load(write(tmp_path, 'lr = 0.1\n[data]\nweights = [1, 2]\n'))
    assert config == Config().replace(lr=0.1, weights=(1.0, 2.0))


def test_options_on_the_command_line_win_over_the_file(tmp_path):
    base = configfile.load(write(tmp_path, "[training]\nlr = 0.1\nepochs = 7\n"))
    assert Config.from_options({"lr": "0.2"}, base=base).train == TrainConfig(lr=0.2, epochs=7)


@pytest.mark.parametrize("text,line,words", [
    ("[training]\nlr = -0.1\n", 2, "learning rate (lr): expected a number greater than 0"),
    ("[training]\n\nepochs = 2.5\n", 3, "epochs (epochs): expected"),
    ('[run]\nseed = -1\n', 2, "seed (seed): expected"),
    ("[data]\nweights = []\n", 2, "comma-separated numbers such as 8.1,2,2,4"),
    ('[data]\nweights = "1;2"\n', 2, "true weights (weights)"),
    ("[training]\nlr = nan\n", 2, "got nan"),
    ("[training]\nlr = inf\n", 2, "learning rate (lr): expected"),
    ("[training]\nloss = \"hinge\"\n", 2, "expected one of mae, mse, huber"),
    ("[training]\nstandardize = true\n", 2, "standardize belongs in [data], not [training]"),
    ("[training]\nbatch-size = 4\n", 2, "did you mean batch_size?"),
    ("[training]\nlearning_rate = 4\n", 2, "unknown key 'learning_rate'"),
    ("[optimizer]\nlr = 1\n", 1, "unknown section [optimizer]"),
    ("[training]\nlr = 0.1\nlr = 0.2\n", 3, "not valid TOML"),
    ("[training\nlr = 0.1\n", 1, "not valid TOML"),
    ("[training]\nepochs = true\n", 2, "epochs (epochs): expected"),
    ("[training]\nlr = [0.1]\n", 2, "expected a single value, got a list"),
    ("[data]\ntarget = \"y\"\n", 2, "only applies with a CSV file"),
])
def test_bad_files_are_refused_with_the_line(tmp_path, text, line, words):
    err = refusal(tmp_path, text)
    assert err.line == line and words in str(err), str(err)
    assert str(err).startswith(str(tmp_path / "exp.toml"))


def test_relative_paths_are_read_from_the_files_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    config = configfile.load(write(tmp_path / "sub", 'csv = "data.csv"\n'))
    assert config.data.csv == os.path.join(str(tmp_path / "sub"), "data.csv")


def test_paths_are_written_absolute_and_strings_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = Config().replace(csv='we"ird\\name.csv', target="y")
    text = configfile.dumps(config)
    assert f'csv = "{tmp_path}/we\\"ird\\\\name.csv"' in text
    assert configfile.load(write(tmp_path, text)).data.csv == str(tmp_path / 'we"ird\\name.csv')


def test_not_a_file_and_not_utf8_are_refused(tmp_path):
    with pytest.raises(DataError, match="is a directory; expected a TOML config file"):
        configfile.load(str(tmp_path))
    (tmp_path / "latin.toml").write_bytes(b"# caf\xe9\n")
    with pytest.raises(DataError, match="not UTF-8"):
        configfile.load(str(tmp_path / "latin.toml"))


_keys = st.sampled_from(["lr", "epochs", "weights", "seed", "loss", "csv", "standardize", "batch_size", "x", "[data]",
                         "[training]", "[run]", "test_fraction", "init_params"])
_values = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.text(max_size=12).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
                    st.just("true"), st.just("[1, 2]"), st.just("[[1]]"), st.just("{a = 1}"), st.text(max_size=8))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_keys, _values), max_size=6))
def test_any_file_is_read_or_refused_with_a_line_never_a_crash(tmp_path_factory, entries):
    text = "\n".join(k if k.startswith("[") else f"{k} = {v}" for k, v in entries)
    path = tmp_path_factory.mktemp("fuzz") / "c.toml"
    path.write_text(text, encoding="utf-8")
    try:
        config = configfile.load(str(path))
    except DataError as e:
        assert str(e).startswith(str(path)) and e.field == "config"
    else:
        assert isinstance(config, Config)


def test_a_toml_array_nested_500_deep_is_refused_without_a_traceback(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("weights = " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(DataError) as e:
        configfile.load(str(path))
    assert "deep" in str(e.value) or "weights" in str(e.value)


@pytest.mark.serial  # a wall-clock bound
@pytest.mark.parametrize("text", [
    "a" + ".b" * 60_000 + " = 1\n",  # tomllib: 14 GB and a minute before the guard
    "[a" + ".b" * 60_000 + "]\n",
    "[[a" + ".b" * 60_000 + "]]\n",
    '"a"' + '."b"' * 60_000 + " = 1\n",
])
def test_a_dotted_key_of_thousands_of_parts_is_refused_before_tomllib_reads_it(tmp_path, text):
    import resource
    import time

    path = tmp_path / "dotted.toml"
    path.write_text(text)
    peak, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.monotonic()
    with pytest.raises(DataError, match="dotted key of more than 17 parts"):
        configfile.load(str(path))
    assert time.monotonic() - start < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200_000  # KiB


def test_dots_in_strings_comments_and_numbers_are_not_key_parts(tmp_path):
    path = tmp_path / "dots.toml"
    many = "a." * 40
    path.write_text(f"# {many}\n[data]\ncsv = \"{many}csv\"\nweights = [1.5, 2.5]\n[training]\nlr = 0.5\n"
                    f"[run]\n'init_params' = '''{many}json'''\n")
    config = configfile.load(str(path))
    assert config.train.lr == 0.5 and config.data.csv.endswith(f"{many}csv")
