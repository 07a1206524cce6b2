"""A backtest with polls beside the same backtest without them, scored side by side.

Reads the ``backtest.json`` (and ``summary.json``) of two finished runs of ``forecast backtest``,
one with the spec's polls and one with ``--no-polls``, and prints one row per forecaster: the
model with and without polls and the baselines of each run (uniform swing moves the last
election by the model's own national swing, so it differs between the two). Scores as in the
rolling backtest (:func:`forecast.evaluate.rolling.pool_scores`): coverage of the 50% and 90%
intervals, seat MAE, CRPS, log score, mean 90% interval width, and the vote-share MAE. The fit
attempts of each run follow the table. With ``--append`` the section goes to BENCHMARKS.md.

Run, after the two backtests::

    forecast backtest SPEC --truth TRUTH --out OUT_WITH
    forecast backtest SPEC --truth TRUTH --out OUT_WITHOUT --no-polls
    .venv/bin/python benchmarks/bench_polls.py OUT_WITH OUT_WITHOUT [--append]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from forecast.evaluate.rolling import SCORE_COLUMNS, pool_scores

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (
    *SCORE_COLUMNS,
    ("vote_share_mae", "vote share MAE", "{:.3f}"),
)


def read_run(out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the backtest scores and the summary of a finished run folder."""
    scores = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return scores, summary


def rows(scores: dict[str, Any], label: str) -> list[tuple[str, dict[str, Any]]]:
    """Each forecaster's scores of one run, the model's row named by ``label``."""
    pooled = pool_scores([scores])["pooled"]
    extra = {"model": scores, **scores.get("baselines", {})}
    out = []
    for name, f in pooled.items():
        f = {**f, "vote_share_mae": extra[name].get("vote_share_mae")}
        tag = label if name == "model" else name.replace("_", " ")
        if name not in ("model", "carry_forward"):  # carry forward does not use the model
            tag += f" ({label})"
        out.append((tag, f))
    return out


def attempts(summary: dict[str, Any]) -> str:
    """One line of a run's fit attempts (tune / target_accept / draws: R-hat, ESS, divergences)."""
    found = summary.get("diagnostics", {}).get("fit_attempts", [])
    return "; ".join(
        f"tune {a.get('tune')} / {a.get('target_accept')} / {a.get('draws')}: R-hat "
        f"{a.get('rhat_max', float('nan')):.4f}, ESS {a.get('ess_bulk_min', float('nan')):.0f}, "
        f"{a.get('divergences')} divergences ({a.get('seconds')} s)"
        for a in found
    )


def section(with_dir: Path, without_dir: Path) -> str:
    """The markdown section: commands, the side-by-side table, the fit attempts."""
    (with_scores, with_summary), (bare_scores, bare_summary) = map(
        read_run, (with_dir, without_dir)
    )
    table = rows(with_scores, "with polls") + rows(bare_scores, "without polls")
    seen, lines = set(), []
    for tag, f in table:
        if tag in seen:
            continue  # the carry-forward baseline is the same in both runs
        seen.add(tag)
        cells = [fmt.format(f[k]) if f.get(k) is not None else "n/a" for k, _, fmt in COLUMNS]
        lines.append(f"| {tag} | " + " | ".join(cells) + " |")
    head = "| forecaster | " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    rule = "|---" * (len(COLUMNS) + 1) + "|"
    election = with_scores["election"]
    return "\n".join(
        [
            f"## Backtest with and without polls: {election} ({dt.date.today()})",
            "",
            f"Runs: `{with_dir}` (seed {with_scores['seed']}, spec hash {with_scores['spec_hash']})"
            f" and `{without_dir}` (`--no-polls`, seed {bare_scores['seed']}, spec hash "
            f"{bare_scores['spec_hash']}), truth `{with_scores['truth']}`.",
            "",
            head,
            rule,
            *lines,
            "",
            f"Fit with polls: {attempts(with_summary)}.",
            f"Fit without polls: {attempts(bare_summary)}.",
            "",
        ]
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--append"]
    if len(args) != 2:
        raise SystemExit("usage: bench_polls.py OUT_WITH_POLLS OUT_WITHOUT_POLLS [--append]")
    text = section(Path(args[0]), Path(args[1]))
    print(text)
    if "--append" in sys.argv[1:]:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
