"""One classifier per language inside the one Rasa model: each instance learns from and answers
only the messages in its `language` (by script, feedback.language.script_language; Latin-script
Finglish counts as English, text without letters too).

Why not one classifier for both: trained jointly, the Persian examples shift the TF-IDF weights
and the intercepts the English intents share: English held-out FAQ topics dropped from 0.88 to
0.85, and Persian FAQ topics were lower too (0.822 against 0.832); measured with
`python -m bench.languages` (README, "Languages").

In config.yml, once per language, with the wrapped component's own settings:
    - name: bot.assistant.nlu.by_language.TfidfIntentClassifierForLanguage
      language: fa
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.feature_intent_classifier import FeatureIntentClassifier
from bot.assistant.nlu.feature_response_selector import FeatureResponseSelector
from bot.assistant.nlu.tfidf_intent_classifier import TfidfIntentClassifier
from bot.assistant.nlu.tfidf_response_selector import TfidfResponseSelector
from feedback.language import ENGLISH, script_language


def message_language(message: Message) -> str:
    """`fa` or `en` by script; English for text without letters (an order number, emoji)."""
    return script_language(message.get(TEXT) or "") or ENGLISH


def in_language(training_data: TrainingData, language: str) -> TrainingData:
    """The training data with only one language's examples (responses and regexes kept).

    The examples are set after construction: TrainingData's constructor would sanitise them
    again, which resets every message's cached fingerprint, so each of these components cost a
    second of fingerprinting and Rasa's training hooks then fingerprinted every message again."""
    subset = TrainingData(
        entity_synonyms=training_data.entity_synonyms,
        regex_features=training_data.regex_features,
        lookup_tables=training_data.lookup_tables,
        responses=training_data.responses,
    )
    subset.training_examples = [m for m in training_data.training_examples if message_language(m) == language]
    return subset


class ForLanguage:
    """Mixin before a trainable NLU component: train on and process one language's messages."""

    config: dict[str, Any]

    def train(self, training_data: TrainingData) -> Resource:
        return super().train(in_language(training_data, self.config["language"]))  # type: ignore[misc]

    def process(self, messages: list[Message]) -> list[Message]:
        mine = [m for m in messages if message_language(m) == self.config["language"]]
        if mine:
            super().process(mine)  # type: ignore[misc]  # sets properties on the messages in place
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifierForLanguage(ForLanguage, TfidfIntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**TfidfIntentClassifier.get_default_config(), "language": ENGLISH}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfResponseSelectorForLanguage(ForLanguage, TfidfResponseSelector):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**TfidfResponseSelector.get_default_config(), "language": ENGLISH}


# The sentence encoder (all-MiniLM-L6-v2) is English-only: English messages are classified on its
# embedding plus TF-IDF, Persian ones by the TF-IDF components above.
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FeatureIntentClassifierForLanguage(ForLanguage, FeatureIntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FeatureIntentClassifier.get_default_config(), "language": ENGLISH}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FeatureResponseSelectorForLanguage(ForLanguage, FeatureResponseSelector):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FeatureResponseSelector.get_default_config(), "language": ENGLISH}
