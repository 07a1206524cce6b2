"""Orchestration: one forecast from spec to saved result, and its scenarios.

``pipeline.run_forecast`` chains the stages; ``scale`` runs the post-fit stages in chunks of
samples; ``scenarios`` re-runs them on the same posterior; ``store`` saves and loads stage objects
with their identity; ``results`` writes result.nc and summary.json.
"""
