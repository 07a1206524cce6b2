"""The PDF risk report: its sections, its figures, and the Typst template that sets them.

Reads a saved forecast (and a backtest's tables when there is one); never computes a forecast.
"""
