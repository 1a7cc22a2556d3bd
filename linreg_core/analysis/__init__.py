"""What is read from runs, never written into them: the loss surface (landscape.py and its plain
landscape_view.py), the microscope's last step, a run's summary and verdict, comparisons and rankings of
lanes (compare.py, compare_table.py) and following advice (advice.py). Imports every part before it."""
