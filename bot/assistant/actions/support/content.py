"""Business content the actions use, read once from the content folder (YAML)."""

from __future__ import annotations

from functools import lru_cache

from bot.app.settings import get_settings
from feedback import compensation, recovery
from feedback.surveys import plan as survey_plan


@lru_cache(maxsize=1)
def recovery_content() -> recovery.RecoveryContent:
    return recovery.load_content(get_settings().content_dir / "recovery.yml")


@lru_cache(maxsize=1)
def compensation_policy() -> compensation.Policy:
    return compensation.load_policy(get_settings().content_dir / "compensation.yml")


@lru_cache(maxsize=1)
def survey_content() -> survey_plan.SurveyContent:
    return survey_plan.load_content(get_settings().content_dir / "surveys.yml")
