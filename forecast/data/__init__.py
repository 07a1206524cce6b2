"""Stage 1, evidence: the spec, the data tables it names, and what they say.

``load_spec`` validates a spec file (its sections are modelled in the ``spec_*`` modules);
``ingest_election`` reads its past results into one labelled ``xr.Dataset`` (dims ``election``,
``province``, ``party``) from tables whose columns ``schemas`` names and ``readers`` checks row
by row; ``lineage`` maps past lists onto the target election's lists; ``summary`` tabulates the
evidence for ``forecast check-data``.
"""
