"""Evaluation: forecasts of past elections scored against what happened.

``truth`` reads and checks the actual results; ``scores`` scores one forecast against them;
``baselines`` gives the vote draws of the carry-forward and uniform-swing forecasts; ``backtest``
forecasts a past election and scores it and the baselines. Returns tables (scores, intervals,
baselines); rendering them is the report's job.
"""
