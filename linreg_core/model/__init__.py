"""The linear model's mathematics, without training state: the losses with their analytic gradients, the
update rules and schedules, the optimum of each loss (least squares, LAD, Huber's), reference metrics, the
diagnosis of how hard data are to descend, and results.py's plain values and vocabularies (torch-free,
the app reads them). Imports settings and data."""
