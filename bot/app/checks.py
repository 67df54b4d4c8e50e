"""Checks made before the assistant starts or trains, each ending the command with one sentence."""

from __future__ import annotations

import sys

from bot.app.settings import Settings


def require_encoder(settings: Settings) -> None:
    """Refuse to start, clearly, when config.yml needs a sentence encoder that cannot run here
    (onnxruntime missing, a model file not the pinned one)."""
    from bot.assistant.nlu.encoder import EncoderUnavailable
    from bot.assistant.training import check_encoder

    try:
        check_encoder(settings.project_dir)
    except EncoderUnavailable as error:
        sys.exit(f"cxbot: {error}")
