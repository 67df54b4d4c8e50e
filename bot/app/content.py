"""The business content of the content folder (YAML a non-developer edits), loaded once at start-up.

`load_content` reads and checks every file, so a mistake stops the start with a message naming the
file, instead of failing the first customer who needs it. The server and the CLI commands pass the
`Content` (or the part each needs) to the router, the desk, the handoff functions and the assistant,
whose actions reach it through bot/assistant/actions/support/context.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import yaml

from bot.assistant.topics import Topics, load_topics
from bot.channels.limits import Limits, limits_from
from bot.channels.telegram.commands import MenuCommands, load_commands
from bot.channels.telegram.replies import ChannelReplies, load_replies
from bot.followup.content import FollowUpContent
from bot.followup.content import load_content as load_followup
from bot.handoff.content import DeskContent, load_canned, load_messages
from bot.handoff.rules import EscalationRules, load_rules
from bot.people.start import PeopleContent
from bot.people.start import load_content as load_people
from bot.privacy.retention import RetentionRules, retention_from
from feedback.compensation import Policy, load_policy
from feedback.journey import JourneyContent
from feedback.journey import load_content as load_journey
from feedback.language import ENGLISH, PERSIAN
from feedback.recovery import RecoveryContent
from feedback.recovery import load_content as load_recovery
from feedback.sentiment import CustomerServiceScorer, ScriptScorer
from feedback.sentiment_fa import PersianScorer
from feedback.surveys.plan import SurveyContent
from feedback.surveys.plan import load_content as load_surveys

T = TypeVar("T")

# Languages the content is written in beside English (the `fa:` sections of the files).
TRANSLATED = (PERSIAN,)


class ContentError(ValueError):
    """A content file is missing, is not valid YAML, or holds a value that makes no sense."""


@dataclass(frozen=True)
class Content:
    topics: Topics  # topics.yml: FAQ topic and intent titles
    recovery: RecoveryContent  # recovery.yml: complaint wording, order numbers, severity
    compensation: Policy  # compensation.yml: offers, approval limit, cap
    surveys: SurveyContent  # surveys.yml: questions, answers, when to ask
    escalation: EscalationRules  # escalation.yml: thresholds, business hours, handoff wording
    desk: DeskContent  # desk.yml and canned_replies.yml: the wording around a handoff
    sentiment: ScriptScorer  # sentiment_lexicon.yml and sentiment_lexicon_fa.yml, one scorer per script
    telegram_commands: MenuCommands  # telegram.yml: the bot's menu commands per language
    telegram_replies: ChannelReplies  # telegram.yml: the channel's own replies per language
    followup: FollowUpContent  # followup.yml: when and how a settled complaint is followed up
    people: PeopleContent  # people.yml: the wording of "Continue on Telegram"
    journey: JourneyContent  # journey.yml: journey stages and feedback themes for the dashboard
    limits: Limits  # privacy.yml: rate limits, WebSocket caps, the "slow down" reply
    retention: RetentionRules  # privacy.yml: how long message text and customer ids are kept
    language: str = ENGLISH
    # The same content in the other languages (each file's `fa:` section over its English values).
    translations: Mapping[str, Content] = field(default_factory=dict, repr=False, compare=False)

    def in_language(self, language: str | None) -> Content:
        """This content in `language` (as written in each file), English when there is none."""
        if language == self.language or language not in self.translations:
            return self
        return self.translations[language]


def _read(path: Path, load: Callable[[Path], T]) -> T:
    """`load(path)`, with any failure turned into a ContentError that names the file."""
    try:
        return load(path)
    except FileNotFoundError:
        raise ContentError(f"{path}: the file is missing") from None
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML: {error}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = str(error)
        # The loaders' own messages start with the file's name; say it once, with its folder.
        if reason.startswith(f"{path.name}: "):
            reason = reason[len(path.name) + 2 :]
        raise ContentError(f"{path}: {reason or type(error).__name__}") from None


def _in(language: str, load: Callable[[Path, str], T]) -> Callable[[Path], T]:
    return lambda path: load(path, language)


def _worded(english: Content, content_dir: Path, language: str) -> Content:
    """`english` with the wording of `language`; rules, thresholds and the policy stay shared."""
    recovery = _read(content_dir / "recovery.yml", _in(language, load_recovery))
    return replace(
        english,
        language=language,
        translations={},
        topics=_read(content_dir / "topics.yml", _in(language, load_topics)),
        recovery=replace(recovery, money=english.compensation.money_format(language)),
        surveys=_read(content_dir / "surveys.yml", _in(language, load_surveys)),
        escalation=_read(content_dir / "escalation.yml", _in(language, load_rules)),
        desk=replace(
            english.desk,
            messages=_read(content_dir / "desk.yml", _in(language, load_messages)),
            canned=_read(content_dir / "canned_replies.yml", _in(language, load_canned)),
            translations={},
        ),
    )


def _load_privacy(path: Path) -> tuple[Limits, RetentionRules]:
    """privacy.yml, read once for both of its parts: the channels' limits and the retention rules."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return limits_from(data, path.name), retention_from(data, path.name)


def load_content(content_dir: Path) -> Content:
    """Read and check every file of the content folder, in every language it is written in."""
    compensation = _read(content_dir / "compensation.yml", load_policy)
    recovery = _read(content_dir / "recovery.yml", load_recovery)
    limits, retention = _read(content_dir / "privacy.yml", _load_privacy)
    english = Content(
        topics=_read(content_dir / "topics.yml", load_topics),
        recovery=replace(recovery, money=compensation.money_format(ENGLISH)),
        compensation=compensation,
        surveys=_read(content_dir / "surveys.yml", load_surveys),
        escalation=_read(content_dir / "escalation.yml", load_rules),
        desk=DeskContent(
            messages=_read(content_dir / "desk.yml", load_messages),
            canned=_read(content_dir / "canned_replies.yml", load_canned),
        ),
        sentiment=ScriptScorer(
            english=_read(content_dir / "sentiment_lexicon.yml", CustomerServiceScorer),
            persian=_read(content_dir / "sentiment_lexicon_fa.yml", PersianScorer),
        ),
        telegram_commands=_read(content_dir / "telegram.yml", load_commands),
        telegram_replies=_read(content_dir / "telegram.yml", load_replies),
        limits=limits,
        retention=retention,
        followup=_read(content_dir / "followup.yml", load_followup),
        people=_read(content_dir / "people.yml", load_people),
        journey=_read(content_dir / "journey.yml", load_journey),
    )
    translations = {language: _worded(english, content_dir, language) for language in TRANSLATED}
    desk = replace(
        english.desk,
        translations={language: c.desk.messages for language, c in translations.items()},
        canned_translations={language: c.desk.canned for language, c in translations.items()},
    )
    return replace(english, desk=desk, translations=translations)
