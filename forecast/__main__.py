"""``python -m forecast`` runs the command-line interface."""

from forecast.cli import app

app()
