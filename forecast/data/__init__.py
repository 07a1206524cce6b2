"""Stage 1, evidence: the spec, the data tables it names, and what they say.

``load_spec`` validates a spec file; ``ingest_election`` reads its past results into one labelled
``xr.Dataset`` (dims ``election``, ``province``, ``party``); ``lineage`` maps past lists onto the
target election's lists; ``summary`` tabulates the evidence for ``forecast check-data``.
"""
