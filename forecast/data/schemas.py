"""The columns of every CSV table a spec names: what each file holds, in one place.

The country tables (``provinces.csv``, ``communities.csv``) and the tables of an election
folder (``parties.csv``, ``votes.csv``, ``turnout.csv``, ``national.csv``, and the law tables
``magnitude.csv``, ``electorate.csv`` and ``population.csv``). ``forecast.evaluate.truth``
reads the same files.
"""

from __future__ import annotations

from forecast.data.tables import Column, count, percent, share, slug, text

__all__ = [
    "COMMUNITIES",
    "COMMUNITY_SHARES",
    "ELECTORATE",
    "MAGNITUDE",
    "NATIONAL",
    "PARTIES",
    "POPULATION",
    "PROVINCES",
    "TURNOUT",
    "VOTES",
]

_META = (
    Column("provenance", text, required=False, allow_empty=True),
    Column("source_id", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)
PROVINCES = (
    Column("province", slug),
    Column("province_name", text),
    Column("iso_3166_2", text, required=False, allow_empty=True),
    Column("aliases", text, required=False, allow_empty=True),
    Column("tile_row", count, required=False, allow_empty=True),
    Column("tile_col", count, required=False, allow_empty=True),
)
# alliance_size: the number of parties in the list (an electoral coalition of several parties
# has more than 1), read where the law's national threshold depends on it.
PARTIES = (
    Column("party", slug),
    Column("party_name", text),
    Column("family", text, required=False, allow_empty=True),
    Column("alliance_size", count, required=False, allow_empty=True),
    *_META,
)
VOTES = (
    Column("province", slug),
    Column("party", slug),
    Column("votes", count, allow_empty=True),
    *_META,
)
TURNOUT = (
    Column("province", slug),
    Column("registered", count, allow_empty=True),
    Column("voters", count, required=False, allow_empty=True),
    Column("valid", count, allow_empty=True),
    Column("turnout_pct", percent, allow_empty=True),
    *_META,
)
MAGNITUDE = (Column("province", slug), Column("seats", count, allow_empty=True), *_META)
ELECTORATE = (Column("province", slug), Column("registered", count, allow_empty=True), *_META)
# The base of district magnitudes apportioned by population (law.magnitude from = "population").
POPULATION = (Column("province", slug), Column("population", count), *_META)
NATIONAL = (
    Column("party", slug),
    Column("votes", count, allow_empty=True),
    Column("vote_pct", percent, required=False, allow_empty=True),
    Column("seats", count, required=False, allow_empty=True),
    Column("seats_district", count, required=False, allow_empty=True),
    Column("seats_national", count, required=False, allow_empty=True),
    *_META,
)
COMMUNITIES = (
    Column("province", slug),
    Column("community", slug),
    Column("share", share, allow_empty=True),
    Column("label", text, required=False, allow_empty=True),
    *_META,
)

# Published estimates of a community's share with their range (low and high may be empty).
COMMUNITY_SHARES = (
    Column("province", slug),
    Column("community", slug),
    Column("share_low", share, allow_empty=True),
    Column("share_mid", share, allow_empty=True),
    Column("share_high", share, allow_empty=True),
    *_META,
)
