"""Training the assistant, only when its Rasa data changed (a fingerprint names the model)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.settings import Settings


logger = logging.getLogger(__name__)

TRAINING_INPUTS = ("config.yml", "domain", "nlu", "stories")
MODEL_PREFIX = "cxbot-"


def fingerprint(project_dir: Path) -> str:
    """A hash of every training input and the Rasa version: equal hashes, equal models."""
    import rasa

    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for name in TRAINING_INPUTS:
        root = project_dir / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in paths:
            if path.suffix not in (".yml", ".yaml"):
                continue
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def check_encoder(project_dir: Path) -> None:
    """Loads the sentence encoder now if config.yml's pipeline uses one, so a machine where it
    cannot run (onnxruntime missing, a model file not the pinned one) is told at start, in one
    sentence, instead of in a graph error once the model loads. Raises EncoderUnavailable."""
    import yaml

    # Not text_features: it imports Rasa, which `cxbot run` loads later in a worker thread while
    # /health already answers.
    from bot.assistant.nlu import encoder

    config = yaml.safe_load((project_dir / "config.yml").read_text())
    for step in config.get("pipeline") or []:
        if step.get("name", "").endswith("TextFeaturizer"):
            if step.get("encoder", encoder.NAME) not in encoder.NO_ENCODER:
                encoder.shared_encoder()


def one_blas_thread():
    """OpenBLAS on one thread while training: the fits' small BLAS calls gain no wall time from a
    second thread, whose spinning cost about 11 s of CPU per training (43.6 s against 32.9 s)."""
    import sklearn.linear_model  # noqa: F401  (loads SciPy's OpenBLAS too, so the limit covers it)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def model_path(settings: Settings) -> Path:
    return settings.model_dir / f"{MODEL_PREFIX}{fingerprint(settings.project_dir)}.tar.gz"


def current_model(settings: Settings) -> Path | None:
    path = model_path(settings)
    return path if path.is_file() else None


def train(settings: Settings, *, force: bool = False) -> Path:
    """Train unless a model for the current data exists; returns the model's path."""
    path = model_path(settings)
    if path.is_file() and not force:
        logger.debug("model is up to date: %s", path.name)
        return path
    from rasa.model_training import train as rasa_train

    from bot.assistant.library_noise import silence_known_warnings

    silence_known_warnings()  # also when called without the command line (the tests' model fixture)

    project = settings.project_dir
    print(f"Training the assistant ({path.name}); Rasa shows progress per component.", flush=True)
    with one_blas_thread():
        result = rasa_train(
            domain=str(project / "domain"),
            config=str(project / "config.yml"),
            training_files=[str(project / "nlu"), str(project / "stories")],
            output=str(settings.model_dir),
            fixed_model_name=path.name[: -len(".tar.gz")],
            force_training=True,
        )
    if result.code != 0 or not path.is_file():
        raise RuntimeError(f"training failed (code {result.code})")
    for old in settings.model_dir.glob(f"{MODEL_PREFIX}*.tar.gz"):
        if old != path:
            old.unlink()  # keep one model: the one that matches the data
    return path
