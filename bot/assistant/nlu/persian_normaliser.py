"""Persian text in one canonical spelling before the NLU reads it (a Rasa custom component).

First in the pipeline, at training and at run time: "می‌خوام", "میخوام" and "می خوام", Arabic
ي/ك and Persian or Arabic-Indic digits all reach the tokenizer, the order-number regex and the
TF-IDF classifiers as one form (feedback.language.normalise_persian). English text passes through
unchanged but for digits. Only the NLU sees the canonical form: RasaAssistant gives the
conversation the text as typed.

In config.yml:   - name: bot.assistant.nlu.persian_normaliser.PersianNormaliser
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from feedback.language import normalise_persian

# "سفارش۴۸۲۹۱۷۳" has no word boundary between the letters and the digits, so the order-number
# regex (\b\d{6,10}\b) would miss it: a space goes between Persian letters and digits.
_LETTER_DIGIT = re.compile(r"(?<=[\u0600-\u06ff])(?=[0-9])|(?<=[0-9])(?=[\u0600-\u06ff])")


def canonical(text: str) -> str:
    """The form the NLU reads: normalise_persian, with digits apart from Persian letters."""
    return _LETTER_DIGIT.sub(" ", normalise_persian(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class PersianNormaliser(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersianNormaliser:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples in the form the classifiers will see at run time."""
        self._normalise(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Incoming messages in canonical spelling."""
        self._normalise(messages)
        return messages

    @staticmethod
    def _normalise(messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(TEXT, canonical(text))
