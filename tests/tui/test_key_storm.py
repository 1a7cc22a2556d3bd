"""Key storms (issue 19): a seeded storm of random keys over every screen, the terminal resized from 20×8 to
250×80 every ~200 keys, never ends the app. The CI case plays fixed seeds; a longer storm explores by hand:

    LINREG_STORM_SEEDS=11,12,13 LINREG_STORM_KEYS=10000 .venv/bin/python -m pytest -s \
        tests/tui/test_key_storm.py -k every_screen

A failure names the seed, how many keys were played and the last steps, ready to paste into `play` (below)
as a regression test. The keys are the seed's; the engine's timing is not (it trains in a thread), so a
replay of the last steps alone may need a few runs, or the storm's seed and key count again."""
from __future__ import annotations

import asyncio
import os
import random
import time
import unicodedata
from collections import Counter, deque

import pytest

from textual import events
from textual.keys import _character_to_key, _get_unicode_name_from_key
from textual.widgets import Input, OptionList

from linreg_core.settings.config import Config
from linreg_core.storage.runs import RunRecorder
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import trainer_for
from tests.tui.conftest import wait_until
from tests.tui.test_app import ready
from tui.app import LinregApp, make_app
from linreg_core.session.events import Failed, Invalid
from tui.messages import EngineEvent
from tui.screens.palette import CommandPalette
from tui.screens.overlay import OverlayScreen
from tui.screens.race import RaceScreen
from tui.screens.race_presets import RacePresetsScreen
from tui.screens.runs import RunsScreen
from tui.screens.save import SaveConfigScreen
from tui.widgets.form import ParameterForm

SEEDS = [int(s) for s in os.environ.get("LINREG_STORM_SEEDS", os.environ.get("LINREG_STORM_SEED", "1,2")).split(",")]
KEYS = int(os.environ.get("LINREG_STORM_KEYS", "2500"))  # per seed
RESIZE_EVERY = (150, 250)  # keys between resizes
SIZES = [(20, 8), (250, 80), (59, 17), (60, 18), (80, 24), (150, 40), (30, 12), (120, 36)]  # then random ones
REPLAY = 30  # steps shown when the storm fails

# Screens every storm must reach ("form": a field of the main screen has the keys).
SCREENS = {"main", "form", "HelpScreen", "RunsScreen", "OverlayScreen", "SaveConfigScreen", "RacePresetsScreen",
           "RaceScreen", "MicroscopeScreen", "CommandPalette"}

# Not keys: in a phrase, wait (at most 5 s, never failing) for the engine to report a step, or for the form to
# hold no refused value (a reopened run's settings in place: R then starts a race).
STEPPED, FORM_OK = "wait:stepped", "wait:form-ok"
WAITS = {STEPPED: lambda app: app.main_screen.data.step > 0, FORM_OK: lambda app: not app.main_screen.form.errors}

# (weight, keys): one key, or a phrase that reaches a screen one random key rarely does (a step before the
# microscope; a marked run before the overlay; a past run reopened, which also clears the values the storm
# typed into the form: while one is refused, R and space do nothing). `q`, Ctrl+C and Ctrl+Q are in: the
# storm counts the quits they ask for instead of quitting (see storm()).
ALPHABET = [
    (3, ("space",)), (3, ("n",)), (1, ("N",)), (1, ("x",)), (1, ("c",)), (1, ("r",)), (1, ("*",)), (1, ("/",)),
    *[(0.8, (str(i),)) for i in range(1, 10)], (0.3, ("0",)),
    *[(0.6, (k,)) for k in "vglodfaAzZtyw[]"], (1, ("+",)), (1, ("-",)), (0.3, ("=",)),
    *[(0.5, (k,)) for k in ("pageup", "pagedown", "home", "end")],
    (0.6, ("?",)), (0.5, ("p",)), (0.6, ("s",)), (1.2, ("R",)), (0.6, ("m",)), (1.5, ("e",)), (0.1, ("P",)),
    (0.5, ("ctrl+p",)), (0.3, ("f1",)), (1, ("q",)), (0.2, ("ctrl+c",)), (0.2, ("ctrl+q",)),
    (3, ("tab",)), (1.5, ("shift+tab",)), (4, ("enter",)), (4, ("escape",)), (2, ("up",)), (2, ("down",)),
    (1, ("left",)), (1, ("right",)), (2, ("backspace",)), (1, ("delete",)), (0.5, ("ctrl+u",)), (0.2, ("ctrl+a",)),
    (6, ("type",)),  # one character from TYPED: into a field, a filter, or an app key where none has the keys
    (0.6, ("escape", "escape", "n", STEPPED, "m")), (0.3, ("escape", "escape", "p", "enter")),
    (0.2, ("escape", "escape", "p", "enter", "n", STEPPED, "m")),  # the form's refused values cleared first
    (0.3, ("escape", "escape", "p", "enter", "R")), (0.2, ("escape", "escape", "p", "enter", FORM_OK, "R", "enter")),
    (0.4, ("escape", "escape", "p", "down", "space", "o")),
    (0.2, ("escape", "escape", "p", "space", "down", "space", "o")),
]
TYPED = "0123456789.-e,abcdfghijklmuvwxyz ~/_E+"
BURSTS = [1, 2, 3, 4, 5, 6]  # keys typed before the app has handled the first: a fast typist


def key_event(key: str) -> events.Key:
    """The event a terminal sends for `key`, as Pilot.press builds it ("." and "full_stop" alike)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def settle(pilot) -> None:
    """Wait until the app and the screen's widgets have handled what was sent (what a handler posts in turn
    is handled by the next settle). Pilot.pause() does this and then waits for the CPU to be idle: 20 ms a
    call at least, up to 1 s while a run trains in the engine's thread; Pilot.press() takes 250 ms a key."""
    await pilot._wait_for_screen()


async def answered(pilot, app, timeout: float = 2.0) -> None:
    """After m on the main screen with a step taken (else the answer is a notice): wait until the microscope
    is open, at most `timeout` s, never failing (the engine may have been restarting, a race may be on: the
    storm goes on either way; this only gives the engine's answer a chance to come before the next keys)."""
    if app.screen is not app.main_screen or app.main_screen.racing is not None or app.main_screen.data.step == 0:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while "MicroscopeScreen" not in screens(app) and loop.time() < deadline and app.screen is app.main_screen:
        await pilot.pause(0.02)


async def wait_in_phrase(pilot, app, condition, timeout: float = 5.0) -> None:
    """In a phrase: wait until `condition(app)` holds, at most `timeout` s, never failing (the form may hold a
    refused value, a race may be on: then n stepped nothing and the storm goes on). Without it the m after n
    came before the engine's answer under load, found no step to show, and a storm could miss the microscope
    altogether (CI, seed 1); the R after a reopened run likewise found the form's refused values still there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition(app) and loop.time() < deadline and app.screen is app.main_screen:
        await pilot.pause(0.02)


async def play(pilot, steps) -> None:
    """Play recorded steps: a key; a tuple of keys typed as one burst; "resize:WxH"; a wait (WAITS)."""
    for step in steps:
        if step in WAITS:
            await wait_in_phrase(pilot, pilot.app, WAITS[step])
            continue
        if isinstance(step, str) and step.startswith("resize:"):
            w, h = step.removeprefix("resize:").split("x")
            await pilot.resize_terminal(int(w), int(h))
            continue
        for key in (step,) if isinstance(step, str) else step:
            pilot.app.post_message(key_event(key))
        await settle(pilot)


def screens(app: LinregApp) -> set[str]:
    """The screens open now (under the top one too: a screen opened by the engine's answer may be covered
    already), "main" or "form" for the main screen."""
    return {("form" if app.main_screen.editing() else "main") if s is app.main_screen else type(s).__name__
            for s in app.screen_stack}


def make_runs(folder) -> None:
    """A few past runs to list, reopen and overlay: two finished, one cut off after two epochs, one damaged."""
    for config, epochs in ((Config().replace(samples=64, epochs=3), None), (Config().replace(samples=64, epochs=4,
                            optimizer="adam"), None), (Config().replace(samples=64, epochs=5, loss="mse"), 2)):
        trainer = trainer_for(config)
        ds = trainer.experiment.dataset
        rec = RunRecorder(folder, config, ds.feature_names, ds.target_name)
        seen = 0
        for r in trainer.run(chunk=trainer.batches_per_epoch):
            if r.epoch_result is not None:
                rec.add_epoch(r.epoch_result)
                seen += 1
                if seen == epochs:
                    break
        if epochs is None:
            s = summarize(trainer)
            rec.finish(s.weights, s.bias, s.as_dict())
        rec.close()
    (folder / "20990101-000000-damaged").mkdir()


class Storm:
    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.weights = [w for w, _ in ALPHABET]
        self.played: deque = deque(maxlen=REPLAY)
        self.keys = 0
        self.visited: Counter = Counter()
        self.quits = 0

    def next_steps(self) -> list:
        """The next steps: a burst of keys typed before the app has handled the first, or a phrase's keys,
        each handled before the next."""
        phrase = self.rng.choices(ALPHABET, self.weights)[0][1]
        if phrase == ("type",):
            return [tuple(self.rng.choice(TYPED) for _ in range(self.rng.choice(BURSTS)))]
        if len(phrase) > 1:
            return list(phrase)
        extra = self.rng.choice(BURSTS) - 1
        more = [self.rng.choices(ALPHABET, self.weights)[0][1] for _ in range(extra)]
        return [(phrase[0], *(m[0] for m in more if len(m) == 1 and m != ("type",)))]

    def size(self) -> tuple[int, int]:
        if self.rng.random() < 0.6:
            return self.rng.choice(SIZES)
        return self.rng.randint(20, 250), self.rng.randint(8, 80)

    def report(self, error: BaseException) -> str:
        return (f"key storm, seed {self.seed}: {type(error).__name__}: {error} after {self.keys} keys "
                f"(LINREG_STORM_SEEDS={self.seed} LINREG_STORM_KEYS={self.keys} plays them again); the last steps, "
                f"for play():\n{list(self.played)}")


async def storm(app: LinregApp, seed: int, n_keys: int) -> Storm:
    s = Storm(seed)

    def quit_asked() -> None:  # q, Ctrl+C, Ctrl+Q and the palette's Quit would end the storm: counted instead
        s.quits += 1

    app.action_quit = quit_asked
    try:
        async with app.run_test(size=s.size()) as pilot:
            next_resize = s.rng.randint(*RESIZE_EVERY)
            while s.keys < n_keys:
                if s.keys >= next_resize:
                    next_resize += s.rng.randint(*RESIZE_EVERY)
                    w, h = s.size()
                    s.played.append(f"resize:{w}x{h}")
                    await pilot.resize_terminal(w, h)
                for step in s.next_steps():
                    s.played.append(step)
                    s.keys += 0 if step in WAITS else len(step)
                    await play(pilot, [step])
                    keys = (step,) if isinstance(step, str) else step  # (a phrase's key, or a burst)
                    if keys and keys[-1] == "m":  # the microscope opens on the engine's answer, not at the key:
                        await answered(pilot, app)  # give it time to come (under load the next keys won)
                    s.visited.update(screens(app))
                    assert app.return_code is None and app.is_running, "the app ended"
            assert app.return_code is None and app.is_running, "the app ended"
            # The end: Ctrl+Q quits for real. Escape first: Ctrl+Q does nothing while a field has the keys (the
            # app's check_action greys its "quit" out there, for q's sake), and a storm often ends in one.
            del app.action_quit
            s.played.append(("escape",))
            await play(pilot, [("escape",)])
            # the Escape's own handling comes back through the app's queue: wait for the field to let go
            # (on a busy machine the Ctrl+Q could otherwise be judged while the field still has the keys)
            await wait_until(pilot, lambda: not app.main_screen.editing(), what="Escape to leave the form")
            s.played.append(("ctrl+q",))
            await play(pilot, [("ctrl+q",)])
            # Ctrl+Q's exit is asynchronous: wait for it (at most 30 s; the app is ending, so no Pilot pause)
            deadline = asyncio.get_running_loop().time() + 30
            while app.return_code is None:
                assert asyncio.get_running_loop().time() < deadline, "Ctrl+Q did not end the app within 30 s"
                await asyncio.sleep(0.02)
        assert app.return_code == 0, f"the app ended with return code {app.return_code}"
    except Exception as e:  # the app's own exception, re-raised by run_test, or a failed assertion
        raise AssertionError(s.report(e)) from e
    return s


async def test_a_key_storm_over_every_screen_leaves_the_app_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the save dialog writes linreg.toml into the current folder
    runs = tmp_path / "runs"
    runs.mkdir()
    make_runs(runs)
    for seed in SEEDS:
        start = time.monotonic()
        app = make_app(Config(), in_thread=True, runs_dir=str(runs))  # as conftest.py's app_factory
        s = await storm(app, seed, KEYS)
        missed = SCREENS - set(s.visited)
        print(f"seed {seed}: {s.keys} keys in {time.monotonic() - start:.1f} s, {s.quits} quits asked, "
              f"screens {dict(s.visited)}")
        assert not missed, f"seed {seed}: the storm never reached {sorted(missed)}"


# ----------------------------------------------------------------- what the storms found, each as a few keys
async def test_panel_keys_typed_fast_settle_on_the_last_one(app_factory):
    """1 2 1 3 2 typed faster than they were handled: each older tab activation set the tabs back and the one
    that posted set them forward again, forever (panels flipped at full speed; Tabs raised ValueError at exit)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        shown = []
        show = app.main_screen.panels.show
        app.main_screen.panels.show = lambda name: (shown.append(name), show(name))[1]
        await play(pilot, [("1", "2", "1", "3", "2")])
        await pilot.pause()
        settled = len(shown)
        await pilot.pause()
        await pilot.pause()
        assert len(shown) == settled <= 10
        assert app.main_screen.panels.current == "loss" and app.main_screen.tabs.active == "tab-loss"


async def test_page_keys_in_a_list_with_no_room_to_show_it(app_factory, tmp_path):
    """Page Up/Down in an option list that a tiny terminal leaves no height (Textual's OptionList raised
    KeyError): the command palette at 30×12, the past-runs list at 20×8."""
    make_runs(tmp_path)
    app = app_factory(runs_dir=str(tmp_path))
    async with app.run_test(size=(30, 12)) as pilot:
        await play(pilot, [("ctrl+p", "2", "pageup", "/"), ("pagedown",), ("escape",), "resize:20x8", ("p",),
                           ("pagedown", "pageup"), ("pageup",)])
        await pilot.pause()
        assert app.is_running and type(app.screen).__name__ == "RunsScreen"


async def test_the_save_dialogs_field_focused_after_it_closed(app_factory):
    """s then Escape typed fast: the dialog's field got the focus as it closed, and the app, asked about it
    with the main screen on top again, looked the field up in the form (KeyError: 'save-path')."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await play(pilot, [("s", "escape"), ("s",), ("escape",), ("s", "escape", "s", "escape")])
        await pilot.pause()
        assert app.is_running and app.screen is app.main_screen and not app.main_screen.form.is_field(app.focused)


async def test_enter_then_a_letter_typed_as_the_palette_opens(app_factory):
    """Enter, Ctrl+P, a letter: the palette took the Enter for a command and closed, and still searched for
    the letter, with its list gone (NoMatches in its worker ended the app, about one time in two)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(4):
            await play(pilot, [("enter", "ctrl+p"), ("s",), ("up",)])
            await pilot.pause()
            assert app.is_running and app.return_code is None
            if app.screen is not app.main_screen:
                await play(pilot, [("escape",)])


async def enter_in(screen) -> None:
    """An Enter in a dialog (the save dialog's field, a list), as its handler receives it."""
    if isinstance(screen, SaveConfigScreen):
        await screen.query_one(Input).action_submit()
    else:
        screen.query_one(OptionList).action_select()


@pytest.mark.parametrize("key", ["s", "p", "R"])
async def test_an_enter_handled_after_the_palette_opened_over_a_dialog(app_factory, tmp_path, monkeypatch, key):
    """An Enter typed in a dialog just before Ctrl+P and handled once the palette was on top (a storm typed it
    in the save dialog): the dialog's dismiss closed the palette instead, whose search worker then found its
    list gone (NoMatches ended the app), and what the dialog does happened unseen (a file written, a run
    reopened, a race started). `is_current` is true under the palette: the past-runs list's guard did not
    hold. Now that Enter does nothing: the palette stays on top, the dialog under it as it was."""
    monkeypatch.chdir(tmp_path)
    make_runs(tmp_path / "runs")
    app = app_factory(runs_dir=str(tmp_path / "runs"), lr=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await play(pilot, [(key,)])
        await wait_until(pilot, lambda: app.screen is not app.main_screen, what="the dialog")  # (a busy machine)
        dialog = app.screen
        await play(pilot, [("ctrl+p",)])
        await wait_until(pilot, lambda: app.screen.has_class("-ready"), what="the palette")
        await enter_in(dialog)
        await pilot.pause()
        assert [type(s).__name__ for s in app.screen_stack] == ["MainScreen", type(dialog).__name__, "CommandPalette"]
        assert not (tmp_path / "linreg.toml").exists() and app.main_screen.racing is None and app.main_screen.config.train.lr == 0.05
        await play(pilot, [("escape",)])  # the palette closes; the dialog's own Enter works again
        await wait_until(pilot, lambda: app.screen is dialog, what="the dialog on top")
        await enter_in(dialog)
        await wait_until(pilot, lambda: app.screen is not dialog, what="the dialog to close")


async def test_enter_enter_in_the_race_presets_starts_one_race(app_factory):
    """R, then Enter Enter: the presets were dismissed twice, the second closing the race the first opened."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await play(pilot, [("R",), ("enter", "enter")])
        await pilot.pause()
        assert app.main_screen.racing is not None and app.screen is app.main_screen.racing and len(app.screen_stack) == 2


async def race_with_help_over_it(pilot) -> None:
    """The first preset's race on screen, its help (?) open over it."""
    app = pilot.app
    await ready(pilot)
    await play(pilot, [("R",), ("enter",)])
    await wait_until(pilot, lambda: app.screen is app.main_screen.racing, what="the race")
    await play(pilot, [("?",)])
    await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="the help")


async def test_help_opened_from_the_race_closes(app_factory):
    """? on the race screen: its help could not be closed (the app's check_action greyed out pop_screen, its
    Escape, while a race was on), and every key after it went nowhere."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await race_with_help_over_it(pilot)
        await play(pilot, [("escape",)])
        await wait_until(pilot, lambda: app.screen is app.main_screen.racing, what="the help to close")


@pytest.mark.parametrize("news", ["failed", "refused"])
async def test_the_engines_news_ends_the_race_under_its_help(app_factory, news):
    """The engine failing (or refusing the race) while the help is open over the race: the race closes with
    the help over it (a dismiss closes only the screen on top now, so it is asked to close what covers it)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await race_with_help_over_it(pilot)
        if news == "failed":
            app.post_message(EngineEvent(Failed("boom"), app.engine))
        else:
            app.post_message(EngineEvent(Invalid("lr", "not a number"), app.engine))
        await wait_until(pilot, lambda: app.screen is app.main_screen and app.main_screen.racing is None, what="back to the run")
        assert len(app.screen_stack) == 1


async def test_quit_while_the_race_screen_is_being_made(app_factory):
    """R, Enter, q: the app quit while the race screen was being made, and its on_mount, run on the way out,
    found its widgets gone (NoMatches: a traceback instead of a clean exit)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await play(pilot, [("R",), ("enter",), ("q",)])
    assert app.return_code == 0


@pytest.mark.parametrize("burst", [("p", "down", "space", "o", "g"), ("R", "1", "3"),
                                   ("R", "1", "a", "z", "t", "g", "v", "space", "delete")])
async def test_keys_typed_with_the_key_that_opens_a_screen(app_factory, tmp_path, burst):
    """Keys in the same burst as the one that opens a screen reach its actions before it is composed: space in
    the past runs looked its list up (NoMatches), 3 or a on the race its charts (AttributeError)."""
    make_runs(tmp_path)
    app = app_factory(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await play(pilot, [burst])
        for _ in range(3):
            await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_screens_keys_act_before_it_is_composed(app_factory, tmp_path):
    """The same, without the timing: a screen pushed but not composed yet takes its keys' actions."""
    make_runs(tmp_path)
    app = app_factory(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        race = RaceScreen([Config(), Config().replace(lr=0.1)], app.session)
        for action in ("view('params')", "view('surface')", "surface_axis(0)", "surface_zoom(2)", "surface_hold",
                       "toggle_log", "toggle_x", "remove_lane"):
            await race.run_action(action)
        await RunsScreen(str(tmp_path)).run_action("mark")
        for action in ("toggle_log", "toggle_x"):
            await OverlayScreen([]).run_action(action)
        await RacePresetsScreen(Config(), None, 0).run_action("choose(2)")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_the_theme_picker_is_the_same_palette(app_factory):
    """A storm (seed 23, 8,136 keys) ended the app in the palette's "Change theme" picker, Textual's own
    palette: the same search after closing as Ctrl+P's (NoMatches in its worker)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.action_change_theme()
        await wait_until(pilot, lambda: app.screen.has_class("-ready"), what="the theme picker")
        assert isinstance(app.screen, CommandPalette) and app.screen.id is None  # not Ctrl+P's


async def test_a_field_committed_as_the_app_quits(app_factory):
    """Escape, Ctrl+Q (a storm's last keys, seed 25 after 10,004): the field's blur committed it while the app
    quit, and applying it looked for the form's widgets, gone by then (NoMatches: a traceback at exit)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
    app.main_screen.on_parameter_form_applied(ParameterForm.Applied("csv", "x.csv"))  # what the blur sent, arriving now
    assert app.main_screen.config.data.csv is None


async def test_ctrl_p_escape_ctrl_p_faster_than_the_palette_opens_and_closes(app_factory):
    """Ctrl+P, Escape, Ctrl+P under load (CI's storm, seed 2). Two ways it ended the app: the closed palette had
    left the stack but not yet the DOM, and Textual's palette id made the second one a duplicate
    (DuplicateIds); and a palette closed before its mount started its search there, in a list it never made
    (NoMatches). The keys' actions are made to meet here as they did there: Escape's before the palette's
    mount, the second Ctrl+P's before the first palette's removal."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.action_command_palette()
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        first = app.screen
        await first.run_action("escape")  # Escape's action: the palette is off the stack, its removal comes later
        app.action_command_palette()  # Ctrl+P in between
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen is not first,
                         what="the second palette")
        assert app.is_running and sum(isinstance(s, CommandPalette) for s in app.screen_stack) == 1
        app.action_command_palette()  # and while one is open (on top or under another screen), no second
        await pilot.pause()
        assert sum(isinstance(s, CommandPalette) for s in app.screen_stack) == 1
