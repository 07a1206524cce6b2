"""Evaluation: forecasts of past elections scored against what happened.

Returns tables (scores, intervals, baselines); rendering them is the report's job.
"""
