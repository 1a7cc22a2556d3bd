"""One strict parser for every source: refusals name the field and say what is expected."""
import math

import pytest
from hypothesis import given, strategies as st

from linreg_core.settings.config import FIELDS, Config
from linreg_core.settings.errors import ConfigError
from linreg_core.settings.parse import parse_int, parse_number, parse_numbers


def refused(field: str, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        Config.from_options({field: text})
    assert field in info.value.errors
    line = info.value.first_line()
    assert FIELDS[field].flag in line and FIELDS[field].label in line
    return line


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-inf", "1e309", "-0.1", "0", "1_000", "0x10", "", "1e-400"])
def test_learning_rate_refusals(text):
    line = refused("lr", text)
    assert "learning rate" in line


@pytest.mark.parametrize("field,text", [("batch_size", "2.5"), ("batch_size", "-5"), ("batch_size", "0"),
                                        ("samples", "0"), ("samples", "1"), ("epochs", "0"), ("epochs", "1e3"),
                                        ("samples", "1" + "0" * 30)])
def test_count_refusals(field, text):
    line = refused(field, text)
    assert "whole number" in line or "from" in line


def test_a_billion_samples_is_refused_before_allocating():
    assert "100000000" in refused("samples", "1000000000")


def test_too_much_memory_is_refused_saying_how_much_it_would_need():
    with pytest.raises(ConfigError) as info:
        Config().replace(samples=100_000_000, weights=tuple([1.0] * 1000))
    line = info.value.first_line()
    assert "samples" in line and "GiB" in line and "at most about" in line


@pytest.mark.parametrize("text", ["", "1;2", "[1,2]", "1,2,", "1,,2", "a,b", ",".join(["1"] * 10_000)])
def test_weights_take_one_documented_form(text):
    line = refused("weights", text)
    assert "8.1,2,2,4" in line or "at most" in line


@pytest.mark.parametrize("text", ["-1", "1.5", str(2**64), str(2**32)])
def test_seed_is_a_whole_number_up_to_2_32_minus_1(text):
    assert "4294967295" in refused("seed", text)


def test_values_set_in_code_get_the_same_checks():
    with pytest.raises(ConfigError) as info:
        Config().replace(lr=math.nan)
    assert "lr" in info.value.errors
    with pytest.raises(ConfigError):
        Config().replace(batch_size=True)


def test_every_field_is_reported_at_once_and_choices_are_listed():
    with pytest.raises(ConfigError) as info:
        Config.from_options({"lr": "x", "loss": "hinge", "epochs": "-1"})
    assert set(info.value.errors) == {"lr", "loss", "epochs"}
    assert "mae, mse, huber" in info.value.errors["loss"]


def test_options_round_trip():
    config = Config.from_options({"weights": "1.5,-2", "lr": "1e-3", "loss": "HUBER", "standardize": "yes",
                                  "seed": "4294967295"})
    assert Config.from_options(config.to_options()) == config
    assert config.data.weights == (1.5, -2.0) and config.train.loss == "huber"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_any_finite_number_reads_back(x):
    assert parse_number(repr(x)) == x


@given(st.text(max_size=30))
def test_number_parser_never_crashes_and_never_returns_non_finite(text):
    try:
        value = parse_number(text)
    except ValueError as e:
        assert str(e)
    else:
        assert math.isfinite(value)


@given(st.integers(-(10**30), 10**30))
def test_any_integer_reads_back(n):
    assert parse_int(str(n)) == n


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=20))
def test_number_lists_read_back(values):
    assert parse_numbers(",".join(repr(v) for v in values), 1000) == tuple(values)


@given(st.text(max_size=40))
def test_list_parser_never_crashes(text):
    try:
        parse_numbers(text, 1000)
    except ValueError as e:
        assert str(e)
