"""The PDF risk report: its sections, its figures, and the Typst template that sets them.

Reads a saved forecast (and a backtest's tables when there is one); never computes a forecast.
One module per section, each formatting its part of ``report.json`` and drawing its figures:
``findings`` (the first page), ``seats``, ``provinces``, ``coalitions``, ``power``,
``formation`` (the delay), ``risk``, ``scenarios``, ``backtest``, ``methods``, ``sources``
(priors and data provenance) and ``diagnostics``. ``formats`` says how a number reads and
``style`` how a figure looks; ``render`` gathers the sections and compiles the PDF
(:func:`~forecast.report.render.render_report`).
"""
