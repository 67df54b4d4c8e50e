"""Sentiment scorers side by side: TextBlob and the product's customer-service scorer.

    .venv/bin/python -m bench.sentiment   (reads ../shared/benchmarks/data/vader and tests/data)

Reports sign accuracy and Pearson r against the VADER human ratings (tweets, Amazon review
snippets), sign accuracy on the project's customer-service messages, and the cost per message.
"""

from __future__ import annotations

import math
import sys
import time

import yaml

from bench.data import DATA
from bot.app.settings import PROJECT_DIR
from feedback.sentiment import CustomerServiceScorer, TextBlobScorer

VADER_DIR = DATA / "vader"
NEUTRAL_BAND = 0.05


def read_vader(name: str) -> list[tuple[str, float]]:
    rows = []
    for line in (VADER_DIR / name).read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            rows.append((parts[2], float(parts[1])))
    return rows


def pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False))
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (sx * sy) if sx and sy else float("nan")


def sign(value: float, band: float = NEUTRAL_BAND) -> int:
    return -1 if value < -band else (1 if value > band else 0)


def score_all(scorer, texts: list[str], label: str) -> tuple[list[float], float]:
    """Polarities and the mean cost in µs; only the scoring calls are timed, after a warm-up
    (lexicons load lazily on the first call)."""
    for text in texts[:20]:
        scorer.score(text)
    clock = time.perf_counter
    spent = 0.0
    out = []
    for i, text in enumerate(texts, 1):
        started = clock()
        polarity = scorer.score(text).polarity
        spent += clock() - started
        out.append(polarity)
        if i % 200 == 0 or i == len(texts):
            done = int(30 * i / len(texts))
            sys.stderr.write(f"\r  {label:<40} [{'#' * done}{'.' * (30 - done)}] {i}/{len(texts)}")
    sys.stderr.write("\n")
    return out, spent / len(texts) * 1e6


def measure(quick: bool = False) -> list[tuple[str, ...]]:
    """One row per (data, scorer); `quick` scores every 40th VADER text (a smoke run)."""
    scorers = {
        "TextBlob": TextBlobScorer(),
        "cxbot (TextBlob + CS lexicon)": CustomerServiceScorer(PROJECT_DIR / "content" / "sentiment_lexicon.yml"),
    }
    rows = []
    for name in ("tweets_GroundTruth.txt", "amazonReviewSnippets_GroundTruth.txt"):
        data = [(t, y) for t, y in read_vader(name) if y != 0][:: 40 if quick else 1]
        texts, truth = [t for t, _ in data], [y for _, y in data]
        for label, scorer in scorers.items():
            predicted, cost = score_all(scorer, texts, f"{label} / {name.split('_')[0]}")
            accuracy = sum((p > 0) == (y > 0) for p, y in zip(predicted, truth, strict=False)) / len(truth)
            rows.append(
                (
                    f"VADER {name.split('_')[0]} ({len(truth)}, sign of human mean)",
                    label,
                    f"{accuracy:.3f}",
                    f"{pearson(predicted, truth):.3f}",
                    f"{cost:.0f}",
                )
            )
    cs = yaml.safe_load((PROJECT_DIR / "tests" / "data" / "customer_sentiment.yml").read_text())
    labelled = (
        [(t, -1) for t in cs["negative"] + cs["negative_with_words"]]
        + [(t, 0) for t in cs["neutral"]]
        + [(t, 1) for t in cs["positive"]]
    )
    for label, scorer in scorers.items():
        predicted, cost = score_all(scorer, [t for t, _ in labelled], f"{label} / customer service")
        accuracy = sum(sign(p) == y for p, (_, y) in zip(predicted, labelled, strict=False)) / len(labelled)
        complaints = [p for p, (_, y) in zip(predicted, labelled, strict=False) if y == -1]
        caught = sum(p < -NEUTRAL_BAND for p in complaints) / len(complaints)
        rows.append(
            (
                f"customer service ({len(labelled)}; complaints caught {caught:.2f})",
                label,
                f"{accuracy:.3f}",
                "-",
                f"{cost:.0f}",
            )
        )
    return rows


HEADER = ("data", "scorer", "sign accuracy", "Pearson r", "µs/message")
FOOTNOTE = (
    "Sign on VADER: polarity > 0 vs human mean > 0 (zeros dropped). Customer service: three "
    f"classes, |polarity| <= {NEUTRAL_BAND} is neutral."
)


def main() -> None:
    rows = measure("--quick" in sys.argv)
    header = HEADER
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)))
    print(FOOTNOTE)


if __name__ == "__main__":
    main()
