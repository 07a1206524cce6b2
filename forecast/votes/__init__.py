"""Stage 2, votes: the Bayesian model of turnout and vote share by province.

``priors`` holds the model's building blocks, ``model.build_model`` the PyMC graph, ``fit`` samples
it (an ``xr.DataTree`` posterior), ``diagnostics`` gates convergence and checks coverage, and
``simulate`` turns posterior draws into vote counts of the target election (dims ``sample``,
``province``, ``party``).
"""
