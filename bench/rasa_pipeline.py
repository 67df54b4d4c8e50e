"""Train and run a Rasa NLU pipeline in memory, the way Rasa's training graph does.

The third-party benchmark sets are trained here, in a temporary model storage, and never become
part of the shipped assistant. Each component is created from its config (merged with Rasa's
defaults), trained on the training data, and applied in pipeline order - the same calls the
graph makes - without the packaging of a model archive, so the benchmarks measure the NLU and
not tar files.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Not part of an NLU-only benchmark: retrieval intents (faq/chitchat answers) and the fallback,
# whose decision the benchmark makes itself from the top intent's confidence (same rule).
SKIPPED_COMPONENTS = {
    "ResponseSelector",
    "bot.assistant.nlu.tfidf_response_selector.TfidfResponseSelector",
    "bot.assistant.nlu.by_language.TfidfResponseSelectorForLanguage",
    "bot.assistant.nlu.feature_response_selector.FeatureResponseSelector",
    "bot.assistant.nlu.by_language.FeatureResponseSelectorForLanguage",
    "FallbackClassifier",
}


def pipeline_from_config(
    path: Path, overrides: dict[str, dict[str, Any]] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The NLU pipeline of a Rasa config file, without the skipped components, and the
    FallbackClassifier's settings (threshold, ambiguity_threshold) as shipped. `overrides`
    changes settings of named components (the TF-IDF-only variant of config.yml: encoder none)."""
    config = yaml.safe_load(path.read_text())
    for step in config["pipeline"]:
        step.update((overrides or {}).get(step["name"], {}))
    fallback = {"threshold": 0.3, "ambiguity_threshold": 0.1}
    steps = []
    for step in config["pipeline"]:
        if step["name"] == "FallbackClassifier":
            fallback.update({k: v for k, v in step.items() if k != "name"})
        if step["name"] not in SKIPPED_COMPONENTS:
            steps.append(dict(step))
    return steps, fallback


def _component_class(name: str):
    from rasa.engine.recipes.default_components import DEFAULT_COMPONENTS
    from rasa.shared.utils.common import class_from_module_path

    for cls in DEFAULT_COMPONENTS:
        if cls.__name__ == name:
            return cls
    return class_from_module_path(name)


@dataclass
class Prediction:
    intent: str
    confidence: float
    second: float  # confidence of the runner-up (for the ambiguity rule)


class TrainedPipeline:
    def __init__(self, components: list, train_seconds: float, storage: tempfile.TemporaryDirectory) -> None:
        self.components = components
        self.train_seconds = train_seconds
        self._storage = storage

    def predict(self, texts: Sequence[str], batch: int = 256) -> list[Prediction]:
        from rasa.shared.nlu.training_data.message import Message

        out: list[Prediction] = []
        for start in range(0, len(texts), batch):
            messages = [Message(data={"text": t}) for t in texts[start : start + batch]]
            for component in self.components:
                if hasattr(component, "process"):
                    messages = component.process(messages)
            for message in messages:
                ranking = message.get("intent_ranking") or []
                intent = message.get("intent") or {"name": None, "confidence": 0.0}
                second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
                out.append(Prediction(intent["name"], float(intent["confidence"]), float(second)))
        return out

    def close(self) -> None:
        self._storage.cleanup()


def train(pipeline: list[dict[str, Any]], examples: Iterable[tuple[str, str]]) -> TrainedPipeline:
    """Train the pipeline on (text, intent) pairs; returns it with its wall-clock training time."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    storage_dir = tempfile.TemporaryDirectory(prefix="cxbot-bench-")
    storage = LocalModelStorage(Path(storage_dir.name))
    started = time.perf_counter()
    data = TrainingData(training_examples=[Message(data={"text": t, "intent": i}) for t, i in examples])
    components = []
    for index, step in enumerate(pipeline):
        cls = _component_class(step["name"])
        config = {**cls.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}
        node = f"run_{step['name']}{index}"
        context = ExecutionContext(GraphSchema({}), node_name=node)
        component = cls.create(config, storage, Resource(node), context)
        if hasattr(component, "train"):
            component.train(data)
        if hasattr(component, "process_training_data"):
            data = component.process_training_data(data)
        components.append(component)
    return TrainedPipeline(components, time.perf_counter() - started, storage_dir)
