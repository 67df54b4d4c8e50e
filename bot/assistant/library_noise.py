"""Warnings Rasa 3.6 and its libraries raise on every start that we cannot fix in our code.

Each is silenced by its category and the module that raises it, never all warnings: a new warning
from our code or another library still shows. Sanic (imported by Rasa) puts "show every
DeprecationWarning once" in front of all filters when first imported, so the modules that import
Rasa call silence_known_warnings() again after their imports.
"""

from __future__ import annotations

import warnings

# UserWarnings of Rasa: (module the warning is attributed to, start of its message)
_RASA_USER_WARNINGS = (
    # Rasa's domain checks: slot auto-fill is off on purpose, the retrieval intents are listed in the
    # domain file of each concern, and FAQ answers come from our own TF-IDF components, not from a
    # ResponseSelector or an entity extractor.
    (r"rasa\.shared\.core\.slot_mappings", r"Slot auto-fill has been removed"),
    (r"rasa\.shared\.utils\.io", r"The following duplicated intents"),
    (r"rasa\.shared\.utils\.io", r"You have defined training data with examples for training a response selector"),
    (r"rasa\.shared\.utils\.io", r"You have defined training data consisting of entity examples"),
)


def silence_known_warnings() -> None:
    """Install the filters; calling it again is harmless (an equal filter is replaced)."""
    from sqlalchemy.exc import MovedIn20Warning, SADeprecationWarning

    for module, message in _RASA_USER_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=UserWarning, module=module)
    # Rasa's tracker store and training cache use SQLAlchemy 1.3-style calls.
    warnings.filterwarnings("ignore", category=MovedIn20Warning, module=r"rasa\.")
    warnings.filterwarnings("ignore", category=SADeprecationWarning, module=r"rasa\.")
    # Matplotlib (imported by Rasa) calls pyparsing's old camelCase names.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"matplotlib\.")
    # A package imported by Rasa still uses the old import hook; the import system reports it.
    warnings.filterwarnings(
        "ignore",
        message=r"the load_module\(\) method is deprecated",
        category=DeprecationWarning,
        module=r"importlib\._bootstrap",
    )
    # APScheduler, imported by Rasa after Sanic made every DeprecationWarning show, imports
    # pkg_resources, which warns that it is deprecated. Imported here first (python-telegram-bot
    # used to do it before it was imported only with Telegram on), its warnings stay unseen.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import pkg_resources  # noqa: F401
