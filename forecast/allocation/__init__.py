"""Seat allocation: NumPy kernels per district and the whole law over labelled draws."""

from forecast.allocation.kernels import (
    Lottery,
    allocate_district,
    highest_averages,
    largest_remainder,
    passes_threshold,
)
from forecast.allocation.law import allocate_seats, seats_command, seats_from_table, seats_table

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
