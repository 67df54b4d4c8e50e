"""One NLU model for English and Persian, or one model per language? Held-out accuracy of both.

    .venv/bin/python -m bench.languages

Trains the NLU pipeline of config.yml (response selectors and fallback included) in memory on all
of nlu/ twice: as shipped, one classifier and selector per language (bot/assistant/nlu/by_language.py,
Finglish counts as English by its script), and joint, the same components without the language
split (one classifier and selector for both languages). Each held-out set in tests/nlu/ is scored
the way tests/e2e/test_nlu_heldout.py scores it (FAQ topic as faq/<topic>; out_of_scope is also
right as nlu_fallback).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.rasa_pipeline import _component_class
from bot.app.settings import PROJECT_DIR
from feedback.language import ENGLISH, PERSIAN

HELDOUT = PROJECT_DIR / "tests" / "nlu"
SETS = ("faq", "general", "complaints")
BASES = {
    "bot.assistant.nlu.by_language.TfidfIntentClassifierForLanguage": (
        "bot.assistant.nlu.tfidf_intent_classifier.TfidfIntentClassifier"
    ),
    "bot.assistant.nlu.by_language.TfidfResponseSelectorForLanguage": (
        "bot.assistant.nlu.tfidf_response_selector.TfidfResponseSelector"
    ),
}


def pipelines() -> dict[str, list[dict[str, Any]]]:
    """config.yml's NLU pipeline as shipped, and joint: per-language steps as their wrapped base
    component, trained once on both languages."""
    shipped = yaml.safe_load((PROJECT_DIR / "config.yml").read_text())["pipeline"]
    joint = []
    for step in shipped:
        if step["name"] in BASES:
            if step.get("language", ENGLISH) != ENGLISH:
                continue
            step = {**{k: v for k, v in step.items() if k != "language"}, "name": BASES[step["name"]]}
        joint.append(step)
    return {"joint": joint, "one per language": shipped}


def train(pipeline: list[dict[str, Any]], data) -> list:
    """The pipeline's components, trained on `data` in pipeline order."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(Path(tempfile.mkdtemp(prefix="cxbot-languages-")))
    components = []
    for index, step in enumerate(pipeline):
        cls = _component_class(step["name"])
        config = {**cls.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}
        node = f"run_{step['name']}{index}"
        component = cls.create(config, storage, Resource(node), ExecutionContext(GraphSchema({}), node_name=node))
        if hasattr(component, "train"):
            component.train(data)
        if hasattr(component, "process_training_data"):
            data = component.process_training_data(data)
        components.append(component)
    return components


def predict(components: list, text: str) -> str:
    """The intent as the held-out test reads it: faq/<topic> for retrieval intents."""
    from rasa.shared.nlu.training_data.message import Message

    messages = [Message(data={"text": text})]
    for component in components:
        messages = component.process(messages)
    intent = messages[0].get("intent")["name"]
    selected = (messages[0].get("response_selector") or {}).get(intent)
    if selected:
        return selected["response"]["intent_response_key"]
    return intent


def heldout(name: str) -> list[tuple[str, str]]:
    examples = []
    for block in yaml.safe_load((HELDOUT / name).read_text())["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                examples.append((line.strip()[2:].strip(), block["intent"]))
    return examples


def accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    right = sum(p == e or (e == "out_of_scope" and p == "nlu_fallback") for p, e in pairs)
    return right / len(pairs)


def main() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    from bench.report import quiet_rasa, table

    quiet_rasa()
    models = {name: train(steps, load_data(str(PROJECT_DIR / "nlu"))) for name, steps in pipelines().items()}
    rows = []
    for language, suffix in ((ENGLISH, ""), (PERSIAN, "_fa")):
        for kind in SETS:
            name = f"{kind}_heldout{suffix}.yml"
            examples = heldout(name)
            scores = [accuracy([(predict(model, t), e) for t, e in examples]) for model in models.values()]
            rows.append([language, name, len(examples), *(f"{score:.3f}" for score in scores)])
    print(table(["language", "held-out set", "examples", *models], rows))


if __name__ == "__main__":
    main()
