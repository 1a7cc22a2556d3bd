"""The loss history's thinning (linreg_core/model/results.History): however long the run, it holds at most
max_points losses (memory stays flat), the kept steps are evenly spaced (every multiple of the stride, and
only those), each kept loss is the one recorded at its step, and the newest kept step is close to the last."""
from hypothesis import given, settings, strategies as st

from linreg_core.model.results import History


def _fed(max_points: int, steps: int) -> History:
    h = History(max_points=max_points)
    for s in range(1, steps + 1):  # steps are counted from 1, as StepResult.step is
        h.add_point(s, float(s) * 0.5)
    return h


@settings(deadline=None, max_examples=200)
@given(st.integers(2, 64), st.integers(0, 5000))
def test_thinning_keeps_memory_flat_and_the_points_evenly_spaced(max_points, steps):
    h = _fed(max_points, steps)
    assert len(h.steps) == len(h.losses) <= max_points
    assert h.losses == [s * 0.5 for s in h.steps]  # each loss stays with its own step
    # evenly spaced: exactly the multiples of the stride up to the last step, nothing else
    assert h.steps == list(range(h.stride, steps + 1, h.stride))
    if steps > max_points:
        assert len(h.steps) > max_points // 4  # thinned by halving, never to almost nothing
        assert h.stride > 1
    else:
        assert h.stride == 1 and h.steps == list(range(1, steps + 1))


def test_a_million_steps_stay_within_the_bound():
    h = History(max_points=4096)
    peak = 0
    for s in range(1, 1_000_001):
        h.add_point(s, 1.0)
        peak = max(peak, len(h.steps))
    assert peak <= 4096 and len(h.steps) >= 4096 // 2 - 1


@settings(deadline=None, max_examples=100)
@given(st.integers(2, 64), st.integers(1, 5000))
def test_the_newest_kept_point_is_within_one_stride_of_the_last_step(max_points, steps):
    h = _fed(max_points, steps)
    assert steps - h.stride < h.steps[-1] <= steps


@settings(deadline=None, max_examples=100)
@given(st.integers(2, 64), st.integers(1, 5000))
def test_the_points_drawn_end_at_the_last_step(max_points, steps):
    """The chart's points end where the run is: the newest step's loss is kept beside the thinned ones (39
    steps, max_points 8: the stride kept up to step 32, and step 39 was lost)."""
    h = _fed(max_points, steps)
    xs, ys = h.points()
    assert xs[-1] == steps and ys[-1] == steps * 0.5
    assert xs[:-1] == h.steps[:len(xs) - 1] and len(xs) <= max_points + 1


def test_a_thinned_stream_notes_its_newest_step():
    """The engine sends only the stride's steps; Progress carries the newest step's loss, noted here."""
    h = History(max_points=8)
    for s in range(4, 41, 4):  # what a stride of 4 lets through
        h.add_point(s, float(s))
    h.note_last(43, 43.0)
    assert h.points()[0][-1] == 43 and h.last == (43, 43.0)
