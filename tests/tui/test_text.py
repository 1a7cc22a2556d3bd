"""Words and numbers as the screen shows them."""
import math

from hypothesis import given, strategies as st

from linreg_core.model.results import Divergence
from tui.text import axis_ticks, divergence_text


def test_divergence_reads_the_same_from_the_trainer_and_from_the_json_summary():
    div = Divergence(epoch=0, batch=4, step=4, loss=3.89e9, reason="exploding", lr=10.0)
    as_json = {"epoch": 0, "batch": 4, "step": 4, "loss": 3.89e9, "lr": 10.0}
    assert divergence_text(div) == divergence_text(as_json)
    # 3 steps taken; the 4th (the 4th batch of epoch 000) diverged: counted from 1, as the status line counts
    assert divergence_text(div).startswith("diverged at step 4 (batch 4 of epoch 000): the loss exploded to 3.89e+09")
    assert "the loss became nan" in divergence_text({**as_json, "loss": None})  # strict JSON's null


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=50))
def test_axis_labels_stay_short_whatever_the_values(values):
    ticks, labels = axis_ticks(values)
    assert len(ticks) == len(labels) <= 5
    assert all(math.isfinite(t) for t in ticks)
    assert all(len(label) <= 10 for label in labels)  # e.g. -3.89e+09, never 3893739520.0


def test_integer_ticks_are_whole_round_numbers():
    from tui.text import integer_ticks

    ticks, labels = integer_ticks(0, 427.5)
    assert labels == ["0", "100", "200", "300", "400"] and all(t == int(t) for t in ticks)
    assert integer_ticks(0, 50)[1] == ["0", "10", "20", "30", "40", "50"]
    assert integer_ticks(0, 0)[1] == ["0"] and integer_ticks(0, 3)[1] == ["0", "1", "2", "3"]


def test_a_fitted_line_reads_its_sign_once():
    from tui.text import line_label

    assert line_label(0.194, -335) == "0.194·x − 335" and line_label(8.1, 1.1) == "8.1·x + 1.1"
