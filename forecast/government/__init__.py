"""Stage 4, government: who can govern, who forms, how long it takes, and what follows.

``coalitions`` scores candidate governments on each seat draw, ``formation`` gives the probability
and duration of each forming, ``power`` the lists' bargaining power, and ``risk`` the conflict risk
of each community given who is in and who is out (dims ``sample``, ``coalition``, ``community``).
"""
