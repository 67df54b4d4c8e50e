"""What the TF-IDF NLU components share: the features and the model's persistence."""

from __future__ import annotations

import logging
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

# Shared with the feedback themes, so the dashboard reads comments as the assistant reads messages.
from feedback.text_features import tfidf_transform, tfidf_vectorizer

__all__ = ["TfidfComponent", "tfidf_transform", "tfidf_vectorizer"]

logger = logging.getLogger(__name__)


class TfidfComponent(GraphComponent):
    """A trainable Rasa component whose model is one dict of scikit-learn objects, stored with
    joblib (pickle) in the model archive, like any locally trained model."""

    MODEL_FILE = "model.joblib"

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, model: dict | None = None
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._use(model)

    def _use(self, model: dict | None) -> None:
        """Takes a trained (or loaded) model into use; subclasses add what they derive from it."""
        self._model = model

    def _save(self, model: dict) -> Resource:
        self._use(model)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(model, directory / self.MODEL_FILE)
        return self._resource

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfComponent:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / cls.MODEL_FILE)
        except ValueError:
            logger.debug(f"No trained {cls.__name__} in the model; it will do nothing.")
            model = None
        return cls(config, model_storage, resource, model)
