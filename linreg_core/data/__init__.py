"""From a Config to samples: the synthetic data drawn in the tutorial's order or a CSV file read with a
diagnosis (data.py, csvdata.py), and the experiment a run starts from: its data, initial parameters and
device (experiment.py). Imports settings only."""
