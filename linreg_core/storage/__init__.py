"""Runs on disk: a run's or race's folder written as it goes and read back, damaged or not (runs.py), and
atomic writing of CSV and JSON files (export.py). Imports settings and model."""
