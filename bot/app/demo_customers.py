"""The simulated customers of `cxbot demo`: who they are, what they open with, and what they answer.

A persona is one kind of customer (FAQ asker, complainer who accepts or declines the offer, someone
who asks for a person or asks what the bot does not know) with a mood that decides how surveys are
answered, and habits (tapping buttons or typing, skipping questions). `next_message` reads the
bot's last replies and says what such a customer would say next.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.conversation.messages import OutboundMessage

CHANNELS = (("widget", 0.5), ("telegram", 0.3), ("rest", 0.2))
NAMES = (
    "Anna",
    "Ben",
    "Cara",
    "Dev",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umut",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
)

FAQ_QUESTIONS = (
    "where is my order?",
    "how can I track my parcel",
    "how long does delivery take?",
    "how much is shipping?",
    "do you deliver to switzerland",
    "how do I return something",
    "when will I get my refund",
    "can I exchange for another size",
    "how do I cancel my order",
    "I need to change my delivery address",
    "what payment methods do you accept?",
    "can I pay in instalments",
    "where can I find my invoice",
    "my payment failed, what now",
    "is there a warranty on your products",
    "how do I know my size",
    "when will the sold out jacket be back",
    "how do I use my discount code",
    "do you sell gift cards",
    "I forgot my password",
    "what are your opening hours",
)
COMPLAINTS = {
    "late_delivery": (
        "my parcel is two weeks late and nobody tells me anything",
        "my order still hasn't arrived, it's so late",
    ),
    "damaged_item": ("my parcel arrived damaged, the box was crushed", "the vase I ordered arrived broken"),
    "wrong_item": (
        "you sent me the wrong item, I ordered a blue shirt and got a red one",
        "this is not what I ordered",
    ),
    "missing_item": ("one item is missing from my parcel", "the package came but the shoes were missing"),
    "billing_error": ("I was charged twice for my order", "you overcharged me on my card"),
    "rude_staff": ("your delivery driver was really rude to me", "the person on your hotline was rude and unhelpful"),
    "website_problem": ("your website keeps crashing at checkout", "the app won't let me log in, it's broken"),
    "other": ("I'm really unhappy with how this was handled", "this whole experience has been a disaster"),
}
# Questions the assistant has no answer for: repeated wordings, so the dashboard can group them.
UNKNOWN_QUESTIONS = (
    "are your products vegan",
    "are your products vegan?",
    "Are the products vegan",
    "do you offer gift wrapping for presents",
    "can you gift wrap my order",
    "is the blue sweater made of wool",
    "is the green jacket waterproof",
    "do you have a showroom in Berlin",
    "do you have a showroom in berlin?",
    "can I pay with bitcoin",
    "do you plant a tree for every order",
)
ASK_PERSON = ("can I talk to a human please", "I want to speak to a real person", "agent please")
COMMENTS = {
    "happy": ("quick and friendly, thanks", "it was easy and clear", "great service"),
    "neutral": ("it was ok", "took a bit long", "fine I guess"),
    "unhappy": ("too slow and I had to repeat myself", "the answer didn't help at all", "nobody solved my problem"),
}
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
SCORES = {
    "happy": {"nps": (9, 10, 10), "ces": ("very_easy", "easy"), "csat": (6, 7, 7)},
    "neutral": {"nps": (7, 8, 8, 6), "ces": ("easy", "neutral"), "csat": (4, 5, 6)},
    "unhappy": {"nps": (0, 2, 3, 4, 5, 6), "ces": ("difficult", "very_difficult", "neutral"), "csat": (1, 2, 3, 4)},
}


@dataclass
class Persona:
    kind: str  # faq_satisfied, faq_unsatisfied, complaint_accepts, complaint_declines, asks_person, unknown_question
    opening: str
    mood: str  # happy, neutral, unhappy: how surveys are answered
    taps: float  # probability of tapping a button rather than typing
    skips: float  # probability of skipping a survey question
    knows_order: bool = True
    category: str | None = None
    said_goodbye: bool = False
    done: bool = False
    extra_questions: list[str] = field(default_factory=list)


def _choose_mood(rng: random.Random, kind: str, progress: float) -> str:
    """Later weeks go a little better, so the trend lines have something to show."""
    if kind in ("faq_unsatisfied", "complaint_declines", "unknown_question"):
        weights = (0.15, 0.3, 0.55)
    elif kind == "complaint_accepts":
        weights = (0.45 + 0.2 * progress, 0.35, 0.2 - 0.15 * progress)
    else:
        weights = (0.45 + 0.2 * progress, 0.35, 0.2 - 0.1 * progress)
    return rng.choices(("happy", "neutral", "unhappy"), weights=weights)[0]


KINDS = (
    "complaint_accepts",
    "faq_satisfied",
    "asks_person",
    "unknown_question",
    "faq_unsatisfied",
    "complaint_declines",
)
KIND_WEIGHTS = (22, 30, 8, 20, 10, 10)


def make_persona(rng: random.Random, number: int, progress: float) -> Persona:
    """The first six customers are one of each kind (so a short demo shows every flow), then a mix."""
    kind = KINDS[number] if number < len(KINDS) else rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
    mood = _choose_mood(rng, kind, progress)
    taps, skips = rng.choice((0.8, 0.5, 0.2)), rng.choice((0.0, 0.0, 0.1, 0.3))
    if kind.startswith("complaint"):
        category = rng.choice(sorted(COMPLAINTS))
        return Persona(
            kind,
            rng.choice(COMPLAINTS[category]),
            mood,
            taps,
            skips,
            knows_order=rng.random() < 0.75,
            category=category,
        )
    if kind == "asks_person":
        return Persona(kind, rng.choice(ASK_PERSON), mood, taps, skips)
    if kind == "unknown_question":
        persona = Persona(kind, rng.choice(UNKNOWN_QUESTIONS), mood, taps, skips)
        if rng.random() < 0.4:
            persona.extra_questions.append(rng.choice(UNKNOWN_QUESTIONS))
        return persona
    return Persona(kind, rng.choice(FAQ_QUESTIONS), mood, taps, skips)


def _buttons(replies: list[OutboundMessage]):
    return [button for reply in replies for button in reply.buttons]


def _typed_answer(rng: random.Random, kind: str, value) -> str:
    if kind == "ces":
        return rng.choice((value.replace("_", " "), f"it was {value.replace('_', ' ')}"))
    forms = [str(value), f"I'd say {value}"] + ([f"{value}/10", NUMBER_WORDS[value]] if kind == "nps" else [])
    return rng.choice(forms)


def next_message(rng: random.Random, persona: Persona, replies: list[OutboundMessage]) -> str | None:
    """What the simulated customer says to the bot's last replies; None when they leave."""
    text = " ".join(r.text for r in replies)
    buttons = _buttons(replies)
    payloads = [b.payload for b in buttons]
    if "person from our team" in text or "A person from our team will reply" in text:
        return None  # handed over: the customer waits for a person
    survey = next((p for p in payloads if p.startswith("/survey_answer")), None)
    if "main reason for your score" in text:
        if rng.random() < 0.3:
            return survey or "skip"
        return rng.choice(COMMENTS[persona.mood])
    if survey:
        kind = survey.split('"survey_value":"', 1)[1].split(":", 1)[0]
        if rng.random() < persona.skips:
            return f'/survey_answer{{"survey_value":"{kind}:skipped"}}' if rng.random() < persona.taps else "skip"
        value = rng.choice(SCORES[persona.mood][kind])
        if rng.random() < persona.taps:
            return f'/survey_answer{{"survey_value":"{kind}:{value}"}}'
        return _typed_answer(rng, kind, value)
    remedies = [p for p in payloads if p.startswith("/choose_remedy")]
    if remedies:  # replacement or refund of the item
        return rng.choice(remedies)
    if "/accept_offer" in payloads:
        return "/decline_offer" if persona.kind == "complaint_declines" else "/accept_offer"
    if "/no_order_number" in payloads:
        if persona.knows_order:
            return rng.choice((f"{rng.randint(1000000, 99999999)}", f"it's {rng.randint(1000000, 99999999)}"))
        return "/no_order_number" if rng.random() < persona.taps else "I don't have it"
    if "what happened" in text.lower() and "sentence or two" in text:
        return persona.opening
    if "Did that answer your question?" in text:
        return "/affirm" if persona.kind == "faq_satisfied" else "/deny"
    if "pass your question to a person" in text:
        return "/affirm" if rng.random() < 0.5 else "/deny"
    if "Did you mean one of these?" in text:
        topics = [p for p in payloads if p.startswith("/choose_topic")]
        return rng.choice(topics) if topics and rng.random() < 0.3 else "/deny"
    if persona.extra_questions:
        return persona.extra_questions.pop()
    if persona.said_goodbye:
        return None
    persona.said_goodbye = True
    return rng.choice(("bye", "thanks, bye", "goodbye"))
