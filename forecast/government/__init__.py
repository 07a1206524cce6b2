"""Stage 4, government: who can govern, who forms, how long it takes, and what follows.

``candidates`` picks the actors and candidate governments, ``coalitions`` scores them on each seat
draw, ``formation`` gives the probability of each forming and its prime minister, ``duration``
how long formation takes, ``power`` the lists' bargaining power, ``status`` each community's
power status, and ``risk`` the conflict risk of each community given who is in and who is out
(dims ``sample``, ``coalition``, ``community``); ``priors`` draws and records their coefficients.
"""
