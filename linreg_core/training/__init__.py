"""The step and the runs it drives: step.py (the one step: K lanes as the columns of one parameter tensor,
no host sync inside a chunk), trainer.py (a run's life around it: counters, schedule, patience,
divergence, diagnosis), race.py (lanes stepping together), batching.py (shuffles and batches) and
path.py (where a run has been). Imports settings, data and model."""
