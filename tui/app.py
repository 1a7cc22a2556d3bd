"""The linreg app: the composition root. It owns the EngineSession (tui/session.py) and the engine's pump, the
keys that work on every screen (help, quit, speed, screenshot, the command palette) and the process' signals.
The run's own screen is tui/screens/main.py; a race's is tui/screens/race.py; training is in the engine process
(tui/engine.py)."""
from __future__ import annotations

import asyncio
import os
import signal

from textual import events, work
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.worker import get_current_worker

from linreg_core.session.events import Failed
from linreg_core.settings.config import Config
from tui import keys, screenshot
from tui.guards import unless_closing
from tui.messages import EngineEvent
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.palette import CommandPalette
from tui.session import EngineSession
from tui.terminal import restore_terminal, terminal_attrs
from tui.widgets.option_list import fix_option_list_paging

fix_option_list_paging()  # Page Up/Down in a list with no room (a tiny terminal) raised KeyError: see the module


class LinregApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "linreg"
    AUTO_FOCUS = None  # keys drive the app; the form is entered with `e`
    BINDINGS = keys.APP_BINDINGS

    def __init__(self, config: Config, in_thread: bool = False, runs_dir: str | None = None):
        super().__init__()
        self.runs_dir = runs_dir  # where the engine keeps runs; None: not kept (--no-save)
        self._in_thread = in_thread  # tests run the engine in a thread of this process
        self.session = EngineSession(config, self._connect)
        self.main_screen = MainScreen(config, self.session, runs_dir)
        self._tty_attrs = terminal_attrs()  # before Textual makes the terminal raw: restored on SIGHUP

    def get_default_screen(self) -> MainScreen:
        return self.main_screen

    @property
    def engine(self):
        """The engine's link (tui/engine.py's EngineClient), None while there is none."""
        return self.session.link

    def on_mount(self) -> None:
        self.call_after_refresh(self.session.start)  # first frame first, then the engine (and torch)
        if not self._in_thread:  # the real app (tests share the test runner's process and signals)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # SIGINT: `kill -INT`, not Ctrl+C
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, signum: int) -> None:
        """SIGTERM, SIGINT or SIGHUP (the SSH session dropped): the engine writes the run's end, then we go
        (exit status 128 + the signal's number)."""
        self._stop_engine()
        if signum == signal.SIGHUP:  # usually the terminal is gone; if it is not (kill -HUP), give it back sane
            restore_terminal(self._tty_attrs)
            os._exit(128 + signum)
        self.exit(return_code=128 + signum)

    # --------------------------------------------------------------- the engine
    def _connect(self, config: Config):
        """Start an engine on config and its pump; the session calls this (and again after a failure)."""
        from tui.engine import EngineClient

        link = EngineClient(config, in_thread=self._in_thread, runs_dir=self.runs_dir)
        self._pump(link)
        self.main_screen.engine_connected()
        return link

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine")
    def _pump(self, link) -> None:
        """Relay the engine's events as messages. Only post_message here: it is thread-safe."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                if not link.poll(0.1):
                    continue
                event = link.recv()
            except (EOFError, OSError):
                if not worker.is_cancelled:
                    self.post_message(EngineEvent(Failed("the training process ended unexpectedly"), link))
                return
            self.post_message(EngineEvent(event, link))
            if isinstance(event, Failed):  # the engine ends after this: nothing more to relay
                return

    @unless_closing
    def on_engine_event(self, message: EngineEvent) -> None:
        self.session.deliver(message.event, message.link)

    def _stop_engine(self) -> None:
        """The engine ends the run on disk and exits (≤ 0.5 s, then it is terminated)."""
        self.workers.cancel_group(self, "engine")
        self.session.stop()

    # --------------------------------------------------------------- keys on every screen
    def check_action(self, action: str, parameters) -> bool | None:
        """While a form field has the keys, only its own (Escape, F1) show: ? and q type into it."""
        if action in keys.APP_ACTIONS and self.main_screen.editing():
            return False
        return True

    def action_speed(self, delta: int) -> None:
        self.session.change_speed(delta)
        self.main_screen.refresh_status()

    def action_screenshot(self) -> None:
        screenshot.take(self, self.runs_dir, self.main_screen.screenshot_name())

    def action_focus_next(self) -> None:
        """Tab: from the charts (no field focused) into the form's first field, as `e`; within it, the next."""
        main = self.main_screen
        if self.screen is main and not main.form.is_field(self.focused):
            main.form.enter()
        else:
            super().action_focus_next()

    async def on_event(self, event) -> None:
        """A key that comes back unused while a field has the focus is typed there (ParameterForm.type_forwarded)."""
        form = self.main_screen.form
        if isinstance(event, events.Key) and form is not None and form.type_forwarded(event):
            return
        await super().on_event(event)

    def action_microscope_step(self) -> None:
        """n under the microscope (a modal over the main screen): the run's next step, shown there."""
        self.main_screen.action_microscope_step()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(keys.key_table(keys.HELP_BINDINGS)))

    def action_command_palette(self) -> None:
        """Ctrl+P: as Textual's, with a palette that ignores the keys typed while it closes. Textual's check
        looks at the top screen only, and names each palette `--command-palette`: a Ctrl+P while a closed
        palette was still being removed (under load) pushed a second one of that id, and the app ended
        (DuplicateIds; a key storm in CI). Here: no id (nothing selects it), and none while one is anywhere
        in the stack."""
        if self.use_command_palette and not any(isinstance(s, CommandPalette) for s in self.screen_stack):
            self.push_screen(CommandPalette())

    def search_themes(self) -> None:
        """The palette's "Change theme": as Textual's, in the same palette (its own failed as Ctrl+P's did)."""
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def get_system_commands(self, screen):
        """The palette lists the main screen's keys (run there: the palette opens over it)."""
        yield from super().get_system_commands(screen)
        for key, description in keys.key_table(keys.HELP_BINDINGS):
            binding = next(b for b in keys.HELP_BINDINGS if b.description == description)
            if binding.action.startswith(("panel", "app.quit", "quit")):
                continue
            target = self.main_screen if binding in keys.SCREEN_BINDINGS else self
            yield SystemCommand(description, f"key: {key}", lambda a=binding.action, t=target: t.run_action(a))

    async def action_quit(self) -> None:
        self._stop_engine()
        self.exit()

    def pop_screen(self):
        """Never pop the last screen: an Enter or Escape that arrives while a modal is already closing (Ctrl+P,
        Enter, Enter typed fast) asks for a second pop, which Textual answers with ScreenStackError, ending the
        app. That second pop has nothing left to close: it does nothing."""
        if len(self.screen_stack) <= 1:
            return AwaitComplete(asyncio.sleep(0))
        return super().pop_screen()

    def on_unmount(self) -> None:
        self._stop_engine()  # however the app ends (also a test's run_test), the engine ends with it


def make_app(config: Config | None = None, in_thread: bool = False, runs_dir: str | None = None) -> LinregApp:
    """The one composition root, for the CLI and the tests. runs_dir None: runs are not kept."""
    return LinregApp(config or Config(), in_thread=in_thread, runs_dir=runs_dir)
