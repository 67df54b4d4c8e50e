"""`make bench`: NLU quality, sentiment, speed and cost, side by side with the anchors.

    .venv/bin/python -m bench                 full run (about 12 min on 2 cores); rewrites the
                                              results section of BENCHMARKS.md
    .venv/bin/python -m bench --quick         smoke run on tiny subsets (CI, tests/e2e/test_bench_smoke.py);
                                              prints only, unless --write is given
    .venv/bin/python -m bench --only nlu      one part: nlu, sentiment, load

Progress bars go to stderr, tables to stdout (Markdown, so they paste into BENCHMARKS.md as is).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

from bot.app.settings import PROJECT_DIR

BEGIN, END = "<!-- make bench: results begin -->", "<!-- make bench: results end -->"


def sentiment_table(quick: bool) -> str:
    from bench import sentiment, sentiment_fa
    from bench.report import table

    english = table(sentiment.HEADER, sentiment.measure(quick)) + "\n\n" + sentiment.FOOTNOTE
    persian = table(sentiment_fa.HEADER, sentiment_fa.measure(quick)) + "\n\n" + sentiment_fa.FOOTNOTE
    return f"{english}\n\nPersian (`.venv/bin/python -m bench.sentiment_fa`):\n\n{persian}"


def render(args, nlu, sentiment_md, speed, seconds: float, training_s: float | None = None) -> str:
    from bench.nlu import OVERRIDES, PIPELINES
    from bench.report import find_model, machine, nlu_tables, speed_tables, targets_table

    model = find_model()
    parts = [
        f"Run {datetime.date.today().isoformat()} on {machine()}, in {seconds / 60:.1f} min: "
        f"`{' '.join(['.venv/bin/python -m bench'] + sys.argv[1:])}` (`make bench`). "
        f"Shipped model: `{model.name if model else 'none'}`; pipelines: "
        + ", ".join(
            f"{name} = `{path.relative_to(PROJECT_DIR)}`" + (" with `encoder: none`" if name in OVERRIDES else "")
            for name, path in PIPELINES.items()
            if name in args.pipelines
        )
        + ("  \n**QUICK MODE: tiny subsets, numbers are a smoke test, not results.**" if args.quick else ""),
        "### Targets\n\n" + targets_table(nlu, speed, training_s),
    ]
    if nlu is not None:
        parts.append("### NLU\n\n" + nlu_tables(nlu))
    if sentiment_md is not None:
        parts.append("### Sentiment\n\n" + sentiment_md)
    if speed is not None:
        parts.append("### Speed and cost\n\n" + speed_tables(speed, training_s))
    return "\n\n".join(parts) + "\n"


def write_results(path: Path, text: str) -> None:
    current = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{text}{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny subsets, seconds per part")
    parser.add_argument("--only", nargs="*", choices=["nlu", "sentiment", "load"], default=["nlu", "sentiment", "load"])
    parser.add_argument(
        "--sets",
        nargs="*",
        choices=["own", "hint3", "banking77", "clinc150"],
        default=["own", "hint3", "banking77", "clinc150"],
        help="NLU data sets to run",
    )
    parser.add_argument(
        "--pipelines",
        nargs="*",
        choices=["shipped", "tfidf", "rasa-lr"],
        default=["shipped", "tfidf"],
        help="NLU pipelines to run (tfidf: config.yml with `encoder: none`; rasa-lr: the earlier pipeline, "
        "bench/configs/rasa_lr.yml, about 45 min more)",
    )
    parser.add_argument(
        "--write",
        type=Path,
        default=None,
        help="Markdown file whose results section to rewrite (default: BENCHMARKS.md on a full run)",
    )
    args = parser.parse_args()
    if "rasa-lr" in args.pipelines and "nlu" in args.only:
        # Rasa's LogisticRegressionClassifier saves itself with skops, whose import scans every
        # loaded module: about 10 s once Rasa is loaded, 3 s before; it would count as training time.
        import skops.io  # noqa: F401
    from bench.report import quiet_rasa

    quiet_rasa()
    started = time.perf_counter()
    nlu = sentiment_md = speed = training_s = None
    if "sentiment" in args.only:
        sentiment_md = sentiment_table(args.quick)
    if "nlu" in args.only:
        from bench import nlu as nlu_bench
        from bench.report import find_model

        nlu = nlu_bench.run(args.quick, find_model(), args.sets, args.pipelines)
    if "load" in args.only:
        from bench import load

        speed = load.run(args.quick)
        if not args.quick:
            from bench import training

            training_s = training.measure()
    text = render(args, nlu, sentiment_md, speed, time.perf_counter() - started, training_s)
    print(text)
    target = args.write or (None if args.quick else PROJECT_DIR / "BENCHMARKS.md")
    if target is not None:
        write_results(target, text)
        print(f"written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
