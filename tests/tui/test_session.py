"""The EngineSession (tui/session.py) without Textual and without an engine: a fake link records what is sent,
and the test plays the engine's events in the order a real engine could send them."""
from linreg_core.session import commands as c
from linreg_core.session import events as e
from linreg_core.session.race_controller import RaceSetup
from linreg_core.session.states import State
from linreg_core.settings.config import Config
from tui.session import ENGINE_FAILED, EngineSession, SessionView


class FakeLink:
    def __init__(self, config):
        self.config, self.sent, self.closed = config, [], False

    def send(self, command):
        assert not self.closed, "sent to an engine that was stopped"
        self.sent.append(command)

    def close(self):
        self.closed = True

    def pings(self) -> list[int]:
        return [x.n for x in self.sent if isinstance(x, c.Ping)]


class Recorder(SessionView):
    def __init__(self):
        self.calls = []

    def on_state(self, state, reason):
        self.calls.append(("state", state, reason))

    def on_setup(self, setup):
        self.calls.append(("setup", setup))

    def on_refused(self, field, message):
        self.calls.append(("refused", field, message))

    def on_failed(self, message, restarted):
        self.calls.append(("failed", message, restarted))

    def on_race_setup(self, setup):
        self.calls.append(("race", setup))

    def states(self):
        return [call[1] for call in self.calls if call[0] == "state"]


def started(config=None):
    links = []
    session = EngineSession(config or Config(), lambda cfg: links.append(FakeLink(cfg)) or links[-1])
    view = Recorder()
    session.subscribe(view)
    return session, view, links


def test_keys_typed_before_the_engine_exists_reach_it_in_order_once_it_starts():
    session, view, links = started()
    session.run_command(c.Toggle(), begun=False)  # space while the app's first frame is drawn
    session.send(c.Trace())
    assert links == []
    session.start()
    sent = links[0].sent
    assert isinstance(sent[0], c.Speed)  # the speed limit first, then the keys as typed
    assert [type(x) for x in sent[1:]] == [c.Toggle, c.Ping, c.Trace]
    assert view.states() == [] and session.state == State.LOADING  # toggle while loading: kept, carried out later


def test_a_key_shows_its_effect_at_once_and_a_late_report_cannot_undo_it():
    session, view, links = started()
    session.start()
    link = links[0]
    session.deliver(e.StateChanged(State.IDLE), link)
    session.run_command(c.Toggle(), begun=False)  # space: running, at once
    assert session.state == State.RUNNING and view.states()[-1] == State.RUNNING
    session.deliver(e.StateChanged(State.IDLE), link)  # a report from before the key: held back
    assert session.state == State.RUNNING and view.states()[-1] == State.RUNNING
    session.deliver(e.StateChanged(State.RUNNING), link)  # the engine's answer to the key...
    session.deliver(e.Pong(link.pings()[-1]), link)  # ...and its pong: the latest report shows
    assert view.states()[-1] == State.RUNNING
    session.deliver(e.StateChanged(State.FINISHED), link)  # nothing awaited: shown as it comes
    assert session.state == State.FINISHED and view.states()[-1] == State.FINISHED


def test_x_then_c_typed_fast_is_judged_on_the_state_x_leads_to():
    session, view, links = started()
    session.start()
    session.deliver(e.StateChanged(State.RUNNING), links[0])
    session.run_command(c.Stop(), begun=True)
    session.run_command(c.Continue(), begun=True)
    assert view.states()[-2:] == [State.STOPPED, State.RUNNING]


def test_an_old_pong_does_not_release_the_reports_of_a_newer_key():
    session, view, links = started()
    session.start()
    link = links[0]
    session.deliver(e.StateChanged(State.IDLE), link)
    session.run_command(c.Toggle(), begun=False)
    first = link.pings()[-1]
    session.run_command(c.Toggle(), begun=True)  # paused
    session.deliver(e.StateChanged(State.RUNNING), link)  # the first key's answer
    session.deliver(e.Pong(first), link)
    assert session.state == State.PAUSED  # the second key's effect stands until its own pong
    session.deliver(e.StateChanged(State.PAUSED), link)
    session.deliver(e.Pong(link.pings()[-1]), link)
    assert session.state == State.PAUSED


def test_a_failed_engine_restarts_once_on_the_same_settings_then_waits_for_a_new_setting():
    session, view, links = started()
    session.start()
    session.deliver(e.Failed("boom"), links[0])
    assert links[0].closed and len(links) == 2 and links[1].config == Config()
    assert view.calls[-2:] == [("failed", "boom", True), ("state", State.LOADING, None)]
    session.deliver(e.Failed("boom again"), links[1])
    assert links[1].closed and len(links) == 2  # not restarted on settings it failed on twice
    assert view.calls[-2:] == [("failed", "boom again", False), ("state", State.IDLE, ENGINE_FAILED)]
    assert session.gave_up
    session.configure(Config().replace(lr=0.1))  # a new setting: tried again
    assert len(links) == 3 and links[2].config.train.lr == 0.1 and session.state == State.LOADING


def test_a_stopped_engines_late_events_are_dropped():
    session, view, links = started()
    session.start()
    old = links[0]
    session.deliver(e.Failed("boom"), old)  # restarted: links[1] is the engine now
    calls = len(view.calls)
    session.deliver(e.StateChanged(State.FINISHED), old)
    session.deliver(e.Failed("the training process ended unexpectedly"), old)  # its pipe closing
    assert len(view.calls) == calls and len(links) == 2


def test_a_refused_setting_falls_back_to_the_accepted_ones():
    session, view, links = started()
    session.start()
    link = links[0]
    session.deliver(e.StateChanged(State.IDLE), link)
    session.deliver(setup_event(), link)  # the defaults are accepted
    session.configure(Config().replace(samples=300))
    assert isinstance(link.sent[-1], c.Configure)
    session.deliver(e.Invalid("csv", "no such file"), link)
    assert session.config == Config() and view.calls[-1] == ("refused", "csv", "no such file")


def test_a_rate_alone_is_set_in_the_run_not_reconfigured():
    session, _, links = started()
    session.start()
    session.configure(Config().replace(lr=0.5))
    assert isinstance(links[0].sent[-1], c.SetLr) and links[0].sent[-1].lr == 0.5


def test_events_go_to_the_view_on_top_and_back_when_it_leaves():
    session, main, links = started()
    session.start()
    race = Recorder()
    session.subscribe(race)
    session.race([Config(), Config().replace(lr=0.1)])
    race_setup = RaceSetup.__new__(RaceSetup)
    session.deliver(race_setup, links[0])
    session.deliver(e.Invalid("lr", "a lane's rate"), links[0])
    assert race.calls[-2:] == [("race", race_setup), ("refused", "lr", "a lane's rate")]
    assert session.config == Config()  # a race's refusal leaves the form's settings alone
    session.unsubscribe(race)
    session.single()
    assert [type(x) for x in links[0].sent[-2:]] == [c.Single, c.Configure]
    session.deliver(e.StateChanged(State.IDLE), links[0])
    assert main.states()[-1] == State.IDLE and ("state", State.IDLE, None) not in race.calls


def test_an_unknown_event_is_said_as_a_failure_never_dropped():
    session, view, links = started()
    session.start()
    session.deliver(object(), links[0])
    assert view.calls[0][0] == "failed" and "unknown" in view.calls[0][1]


def setup_event():
    return e.Setup.__new__(e.Setup)


def test_the_session_is_plain_python():
    """No Textual and no torch behind it: it can be driven (and tested) without an app or an engine."""
    import subprocess
    import sys

    code = "import sys, tui.session; print('textual' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
