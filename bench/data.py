"""Where the third-party benchmark data is: `../shared/benchmarks/data` beside the project.

A clone made elsewhere (a CI checkout in a temporary folder) has no `../shared`; it then looks
beside the repository it was cloned from. `CXBOT_BENCH_DATA` overrides both. The data is never
copied into this repository.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from bot.app.settings import PROJECT_DIR

RELATIVE = Path("shared") / "benchmarks" / "data"
OOS = "NO_NODES_DETECTED"
Examples = list[tuple[str, str]]


def _origin_dir() -> Path | None:
    try:
        url = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(url.removeprefix("file://")) if url and "://" not in url.removeprefix("file://") else None
    return path if path is not None and path.is_dir() else None


def benchmark_data_dir() -> Path:
    candidates = []
    if os.environ.get("CXBOT_BENCH_DATA"):
        candidates.append(Path(os.environ["CXBOT_BENCH_DATA"]))
    candidates.append(PROJECT_DIR.parent / RELATIVE)
    origin = _origin_dir()
    if origin is not None:
        candidates.append(origin.resolve().parent / RELATIVE)
    return next((path for path in candidates if path.is_dir()), candidates[0])


DATA = benchmark_data_dir()


def read_csv(path: Path, text: str, label: str) -> Examples:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row[text], row[label]) for row in csv.DictReader(handle)]


def hint3(bot: str) -> tuple[Examples, Examples]:
    root = DATA / "hint3" / "v1"
    return read_csv(root / "train" / f"{bot}_train.csv", "sentence", "label"), read_csv(
        root / "test" / f"{bot}_test.csv", "sentence", "label"
    )


def banking77() -> tuple[Examples, Examples]:
    root = DATA / "banking77"
    return read_csv(root / "train.csv", "text", "category"), read_csv(root / "test.csv", "text", "category")


def clinc150() -> dict[str, Examples]:
    data = json.loads((DATA / "clinc150" / "data_full.json").read_text())
    return {key: [(t, OOS if key.startswith("oos") else label) for t, label in rows] for key, rows in data.items()}


def own_heldout(pattern: str = "*_heldout.yml") -> Examples:  # English; "*_heldout_fa.yml": Persian
    examples = []
    for path in sorted((PROJECT_DIR / "tests" / "nlu").glob(pattern)):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            examples += [
                (line.strip()[2:].strip(), block["intent"])
                for line in block["examples"].splitlines()
                if line.strip().startswith("- ")
            ]
    return examples


def own_training_data() -> Examples:
    """The assistant's NLU examples (nlu/*.yml), intent level (faq/x -> faq), entity markup removed."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted((PROJECT_DIR / "nlu").glob("*.yml")):
        data = load_data(str(path))
        examples += [(m.get("text"), m.get("intent")) for m in data.intent_examples if m.get("text")]
    return examples


def heldout_intent_folds(examples: Examples, folds: int, seed: int = 13) -> Iterator[tuple[Examples, Examples]]:
    """(train, test) of each of k folds for choosing an out-of-scope threshold on a train split that
    has no out-of-scope queries: 1/k of the intents held out entirely (their examples are the test
    part's out of scope, OOS) and 1/k of each other intent's examples (its in-scope part)."""
    intents = sorted({label for _, label in examples})
    random.Random(seed).shuffle(intents)
    for k in range(folds):
        unseen = set(intents[k::folds])
        seen_count: dict[str, int] = {}
        train_rows: Examples = []
        test_rows: Examples = []
        for text, label in examples:
            if label in unseen:
                test_rows.append((text, OOS))
                continue
            index = seen_count[label] = seen_count.get(label, -1) + 1
            (test_rows if index % folds == k else train_rows).append((text, label))
        yield train_rows, test_rows
