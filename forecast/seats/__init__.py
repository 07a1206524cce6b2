"""Stage 3, seats: the electoral law applied to vote draws (dims ``sample``, ``province``, ``party``).

``kernels`` allocates one district or a batch of districts (vectorised NumPy); ``law`` composes
the whole law of a spec (districts, thresholds, quota and compensatory seats) over labelled draws.
"""

from forecast.seats.kernels import (
    Lottery,
    allocate_district,
    highest_averages,
    largest_remainder,
    passes_threshold,
)
from forecast.seats.law import allocate_seats, seats_command, seats_from_table, seats_table

__all__ = [
    "Lottery",
    "allocate_district",
    "allocate_seats",
    "highest_averages",
    "largest_remainder",
    "passes_threshold",
    "seats_command",
    "seats_from_table",
    "seats_table",
]
