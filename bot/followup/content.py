"""content/followup.yml: when a follow-up is due, the quiet hours, and its wording per language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.handoff.rules import load_rules

ANSWERS = ("yes", "no", "stop")
# Button payloads: the answer arrives as one of these, typed words are read with `words`.
PAYLOADS = {f"/followup_{answer}": answer for answer in ANSWERS}
CSAT_PAYLOAD = "/followup_csat"


@dataclass(frozen=True)
class Wording:
    questions: dict[str, str]
    buttons: dict[str, str]  # yes, no, stop -> the button's title
    replies: dict[str, str]  # after_yes, after_no, after_stop, csat_question, csat_thanks
    words: dict[str, tuple[str, ...]]  # yes, no, stop -> typed phrases (lower case)

    def question(self, category: str) -> str:
        return self.questions.get(category) or self.questions["default"]


@dataclass(frozen=True)
class FollowUpContent:
    zone: ZoneInfo
    quiet_start: time
    quiet_end: time
    after_days: dict[str, int]
    default_days: int
    check_every_seconds: float
    wording: dict[str, Wording]  # per language; "en" always there
    staff_note: str  # {case} {category} {order} {description} {conversation}

    def delay(self, category: str) -> timedelta:
        return timedelta(days=self.after_days.get(category, self.default_days))

    def in_quiet_hours(self, moment: datetime) -> bool:
        """Whether `moment` (aware) falls in the quiet hours, shop time; they may span midnight."""
        local = moment.astimezone(self.zone).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def words_for(self, locale: str | None) -> Wording:
        language = (locale or "en").split("-")[0].split("_")[0].lower()
        return self.wording.get(language) or self.wording["en"]

    def read_answer(self, text: str) -> str | None:
        """yes, no or stop for a button payload or a typed answer in any language; None otherwise."""
        cleaned = text.strip().lower().rstrip("!.؟?")
        if cleaned in PAYLOADS:
            return PAYLOADS[cleaned]
        # "stop" first: "no more messages" is a stop, not a no.
        for answer in ("stop", "no", "yes"):
            for wording in self.wording.values():
                if cleaned in wording.words[answer]:
                    return answer
        return None


def _clock(text: str) -> time:
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


def _wording(language: str, data: dict) -> Wording:
    questions = {str(k): str(v) for k, v in data["questions"].items()}
    if "default" not in questions:
        raise ValueError(f"followup.yml: messages.{language}.questions needs a default")
    replies = {key: str(data[key]) for key in ("after_yes", "after_no", "after_stop", "csat_question", "csat_thanks")}
    words = {answer: tuple(str(w).strip().lower() for w in data["words"][answer]) for answer in ANSWERS}
    return Wording(questions, {answer: str(data[answer]) for answer in ANSWERS}, replies, words)


def shop_zone(path: Path, data: dict) -> ZoneInfo:
    """The quiet hours' time zone: the shop's, business_hours.timezone of escalation.yml beside this
    file (one place to set it); a `timezone` here overrides it."""
    if data.get("timezone"):
        return ZoneInfo(str(data["timezone"]))
    return load_rules(path.parent / "escalation.yml").timezone


def load_content(path: Path) -> FollowUpContent:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    wording = {str(language): _wording(str(language), block) for language, block in data["messages"].items()}
    if "en" not in wording:
        raise ValueError("followup.yml: messages needs an en block")
    after = {str(k): int(v) for k, v in data["after_days"].items()}
    if any(days < 1 for days in after.values()) or int(data["default_days"]) < 1:
        raise ValueError("followup.yml: days must be at least 1")
    return FollowUpContent(
        zone=shop_zone(path, data),
        quiet_start=_clock(data["quiet_hours"]["start"]),
        quiet_end=_clock(data["quiet_hours"]["end"]),
        after_days=after,
        default_days=int(data["default_days"]),
        check_every_seconds=float(data.get("check_every_seconds", 60)),
        wording=wording,
        staff_note=str(data["staff_note"]),
    )
