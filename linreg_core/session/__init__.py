"""A run's life for a listener: typed commands (commands.py) and events (events.py), the run-state machine
(states.py, run_states.py) and the controllers that carry commands out and record runs (controller.py for
a single run, race_controller.py for a race, which `linreg sweep` uses too). May import every part."""
