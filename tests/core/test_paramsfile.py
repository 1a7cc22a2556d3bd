"""--init-params: a run starts from saved parameters; a file that carries code is refused and never runs."""
import json
import math
import os
import pickle

import pytest
import torch
from hypothesis import given, settings, strategies as st

from linreg_core.settings.config import Config
from linreg_core.settings.errors import DataError
from linreg_core.settings.paramsfile import load_params
from linreg_core.training.trainer import trainer_for


class Payload:
    """Unpickling this runs os.system: the classic malicious pickle. It would create `marker`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "payload-ran"


def test_a_bare_pickle_is_refused_without_being_unpickled(tmp_path, marker):
    path = tmp_path / "params.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3, 4], "bias": Payload(marker)}))
    with pytest.raises(DataError, match="is a pickle, which can run code"):
        load_params(str(path), 4)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_pickles_of_every_protocol_are_refused(tmp_path, marker, protocol):
    path = tmp_path / "p.bin"
    path.write_bytes(pickle.dumps(Payload(marker), protocol=protocol))
    with pytest.raises(DataError):
        load_params(str(path), 4)
    assert not marker.exists()


def test_a_torch_file_carrying_code_is_refused_by_weights_only(tmp_path, marker):
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.ones(1, 4), "bias": Payload(marker)}, str(path))
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    with pytest.raises(DataError, match="weights_only=True"):
        load_params(str(path), 4)
    assert not marker.exists()


def test_a_torch_state_dict_is_read(tmp_path):
    layer = torch.nn.Linear(4, 1)
    path = tmp_path / "linear.pt"
    torch.save(layer.state_dict(), str(path))
    weights, bias = load_params(str(path), 4)
    assert weights == tuple(layer.weight.reshape(-1).tolist()) and bias == layer.bias.item()
    torch.save(torch.nn.Sequential(layer).state_dict(), str(path))  # keys "0.weight", "0.bias"
    assert load_params(str(path), 4) == (weights, bias)


def test_linregs_own_file_and_a_json_state_dict_are_read(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"weights": [1, 2], "bias": 3}))
    (tmp_path / "b.json").write_text(json.dumps({"weight": [[1, 2]], "bias": [3]}))
    assert load_params(str(tmp_path / "a.json"), 2) == ((1.0, 2.0), 3.0)
    assert load_params(str(tmp_path / "b.json"), 2) == ((1.0, 2.0), 3.0)


@pytest.mark.parametrize("text,words", [
    ('{"weights": [1, 2, 3], "bias": 0}', "holds 3 weights, but the data has 4 features"),
    ('{"weights": [1, 2, 3, NaN], "bias": 0}', "NaN is not a number JSON allows"),
    ('{"weights": [1, 2, 3, 4], "bias": null}', "bias: expected numbers, got null"),
    ('{"weights": [1, 2, 3, "4"], "bias": 0}', 'weights: expected numbers, got "4"'),
    ('{"weights": [1, 2, 3, 1e400], "bias": 0}', "expected finite numbers"),
    ('{"weights": [1, 2, 3, 4], "bias": [1, 2]}', "bias: expected one number, got 2"),
    ('{"w": [1, 2, 3, 4]}', "found keys w"),
    ('[1, 2, 3, 4]', 'expected an object with "weights" and "bias"'),
    ('{"weights": [1, 2,\n 3, 4,], "bias": 0}', "line 2: is not valid JSON"),
    ("", "is empty"),
    ("hello", "neither JSON nor a torch.save file"),
])
def test_bad_parameter_files_are_refused_saying_why(tmp_path, text, words):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        load_params(str(path), 4)
    assert words in str(err.value) and str(path) in str(err.value)
    assert err.value.field == "init_params"


def test_a_run_starts_from_saved_parameters_in_data_units(tmp_path):
    """Saved learned parameters (data units) start a new run there, with or without standardizing."""
    first = trainer_for(Config())
    list(first.run(chunk=32))
    w, b = first.parameters()
    (tmp_path / "p.json").write_text(json.dumps({"weights": w, "bias": b}))
    for standardize in (False, True):
        again = trainer_for(Config().replace(init_params=str(tmp_path / "p.json"), standardize=standardize))
        w2, b2 = again.parameters()
        assert w2 == pytest.approx(w, abs=1e-4) and b2 == pytest.approx(b, abs=1e-4)
        epoch0 = next(r for r in again.run(chunk=32) if r.epoch_result).epoch_result
        assert epoch0.loss_mean < 0.1  # the tutorial's first epoch from scratch: 7.1


def test_a_missing_parameter_file_is_reported_for_its_own_option(tmp_path):
    with pytest.raises(DataError, match="no such file") as err:
        load_params(str(tmp_path / "nope.json"), 4)
    assert err.value.field == "init_params"


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                 st.recursive(st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=5)),
                              lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                      st.dictionaries(st.sampled_from(["weights", "bias", "weight",
                                                                                       "x.weight", "x.bias"]),
                                                                      inner, max_size=3)),
                              max_leaves=10).map(lambda v: json.dumps(v).encode())))
def test_any_file_is_read_or_refused_never_a_crash(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "p.bin"
    path.write_bytes(content)
    try:
        weights, bias = load_params(str(path), 2)
    except DataError as e:
        assert e.field == "init_params" and str(path) in str(e)
    else:
        assert len(weights) == 2 and all(math.isfinite(w) for w in (*weights, bias))


@pytest.mark.parametrize("text,words", [
    ('{"weights": [1, 2, 3, %s], "bias": 0}' % ("9" * 400), "at most 1e30"),
    ('{"weights": ' + "[" * 100_000 + "]" * 100_000 + ', "bias": 0}', "too deeply"),
    ('{"weights": [1, 2, 3, 4], "bias": %s}' % ("1" * 5000), "thousands of digits"),
    ('{"weights": [1, 2, 3, 4], "weights": [1], "bias": 0}', "appears twice"),
])
def test_hostile_json_is_refused_without_a_traceback(tmp_path, text, words):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(DataError) as e:
        load_params(str(path), 4)
    assert words in str(e.value) and e.value.field == "init_params"


def test_a_compressed_archive_is_refused_by_its_declared_size_before_expanding(tmp_path):
    """390 KB of deflated zeros that would expand to 400 MB: refused from the zip directory, in milliseconds."""
    import time
    import zipfile

    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(400):
                f.write(chunk)
    assert path.stat().st_size < 1 << 20
    start = time.process_time()
    with pytest.raises(DataError) as e:
        load_params(str(path), 4)
    assert "expands to 400 MiB" in str(e.value) and time.process_time() - start < 1.0


def test_a_large_file_is_refused_by_its_size_before_reading(tmp_path):
    path = tmp_path / "zeros.json"
    with open(path, "wb") as f:
        f.truncate(1 << 30)  # 1 GiB of NUL bytes, sparse: nothing is read
    with pytest.raises(DataError) as e:
        load_params(str(path), 4)
    assert "1.0 GiB" in str(e.value) and "at most 4.0 MiB" in str(e.value)
