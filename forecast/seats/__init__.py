"""Stage 3, seats: the electoral law applied to vote draws (dims sample, province, party).

``law`` composes the whole law of a spec over labelled draws (``draws`` on plain arrays,
``national`` for the national threshold and compensatory seats); ``kernels`` allocates one
district or a batch of districts, with the families beside it (``thresholds``, ``remainders``,
``divisors``, ``ties``), ``batch`` and ``provinces`` for batches of rows, and ``compiled`` and
``loops`` for the numba path; ``magnitudes`` apportions district seats; ``bind`` binds a
forecast's law to the target's tables; ``command`` gives the seats of one set of actual votes.
"""

from forecast.seats.bind import bind_law
from forecast.seats.command import seats_command, seats_from_table, seats_table
from forecast.seats.kernels import allocate_district, highest_averages, largest_remainder
from forecast.seats.law import allocate_seats
from forecast.seats.thresholds import passes_threshold
from forecast.seats.ties import Lottery

__all__ = [
    "Lottery",
    "allocate_district",
    "allocate_seats",
    "bind_law",
    "highest_averages",
    "largest_remainder",
    "passes_threshold",
    "seats_command",
    "seats_from_table",
    "seats_table",
]
