"""Every formula the report, the dashboard and the exports print, written once."""

from __future__ import annotations

from feedback.followups import FOLLOWUP_FORMULA
from feedback.metrics.people import NPS_PERSON_FORMULA, PERSON_DEFINITION
from feedback.metrics.period import DAILY_UP_TO_DAYS
from feedback.surveys.scores import CES_FORMULA, CSAT_FORMULA, NPS_FORMULA

SENTIMENT_FORMULA = "sentiment = mean TextBlob polarity (-1..+1) of customer messages; negative = polarity < 0"
SENTIMENT_SCALE_FORMULA = (
    "sentiment in words: below -0.5 very negative, -0.5 to -0.05 negative, -0.05 to +0.05 neutral, "
    "+0.05 to +0.5 positive, +0.5 and above very positive"
)
CHANGE_FORMULA = (
    "change = this period's value - the previous period's, the previous period being as long and ending where "
    "this one starts; shown green when better (higher NPS, CSAT, CES and sentiment; fewer escalations; "
    "lower compensation cost), red when worse; conversations are a volume, neither"
)
CONVERSATIONS_FORMULA = "conversations = conversations started in the period"
RESPONSE_RATE_FORMULA = "response rate = answered / offered, per survey"
COMPENSATION_FORMULA = (
    "compensation = goodwill rows issued, pending or redeemed; value = sum of amount_cents "
    "(percent coupons counted, not valued; remedies are counted apart, below)"
)
REMEDY_FORMULA = (
    "remedies: recovery cases opened in the period whose remedy was done, per remedy (refund_overcharge, "
    "replacement, item_refund, delivery_follow_up, staff_report, workaround, team_follow_up) and per goodwill "
    "that followed (its kind, or none: declined, remedy only or capped); cost = sum of amount_cents of their "
    "ledger rows issued, pending or redeemed; without amount = such rows with no amount (a replacement, a refund "
    "a person looks up), not valued; percent coupons counted, not valued"
)
PARADOX_FORMULA = (
    "remedy + goodwill vs remedy only: people with a remedied case on any of their channels (all time), in the "
    "first group if any of their remedied cases brought goodwill issued or redeemed; NPS and CSAT per group from "
    "answers given in the period after the person's first remedied case; the count is of people, "
    f"{PERSON_DEFINITION}"
)
RECOVERY_FORMULA = (
    "recovery effectiveness: people grouped by their complaints (recovery cases opened by a complaint) on any of "
    "their channels: recovered = a case ended with a compensation issued or approved; not recovered = complaints, "
    "none recovered; no complaint = no complaint ever; NPS and CSAT per group from answers given in the period, "
    "for complainers only answers given after their first complaint; the count is of people, "
    f"{PERSON_DEFINITION}"
)
TOPIC_FORMULA = (
    "topic of a conversation = its complaint category (first complaint), else its first FAQ topic, "
    "else none; sentiment by topic = mean polarity of the customer messages of those conversations"
)
ESCALATION_FORMULA = (
    "time to claim = claimed_at - created_at of a handoff request; time to resolve = closed_at - created_at; "
    "medians in minutes over the requests that have them"
)
HANDLER_FORMULA = (
    "bot vs staff: surveys grouped by who handled the conversation when the survey was sent "
    '(survey_responses.handled_by: "bot" or a staff member)'
)
FALLBACK_FORMULA = (
    "not understood = customer messages read as nlu_fallback or out_of_scope and answered with a fallback reply "
    "(messages.response utter_default, utter_did_you_mean, utter_offer_human or utter_out_of_scope; "
    "not answers a form accepted, like an order number; bot replies stored before migration 0006 "
    "have no response name and are not counted); grouped by their words "
    "(lower case, no punctuation or filler words, sorted), near-duplicates (word overlap >= 60%) merged"
)
BUCKET_FORMULA = (
    f"time series: one point per day for periods up to {DAILY_UP_TO_DAYS} days, else per ISO week "
    "(Monday to Sunday, UTC); surveys count in the bucket they were offered in"
)

REPORT_FORMULAS = (
    NPS_FORMULA,
    NPS_PERSON_FORMULA,
    CES_FORMULA,
    CSAT_FORMULA,
    RESPONSE_RATE_FORMULA,
    SENTIMENT_FORMULA,
    COMPENSATION_FORMULA,
    RECOVERY_FORMULA,
    FOLLOWUP_FORMULA,
    REMEDY_FORMULA,
    PARADOX_FORMULA,
)
DASHBOARD_FORMULAS = (
    CHANGE_FORMULA,
    NPS_FORMULA,
    NPS_PERSON_FORMULA,
    CES_FORMULA,
    CSAT_FORMULA,
    RESPONSE_RATE_FORMULA,
    SENTIMENT_FORMULA,
    SENTIMENT_SCALE_FORMULA,
    CONVERSATIONS_FORMULA,
    TOPIC_FORMULA,
    ESCALATION_FORMULA,
    COMPENSATION_FORMULA,
    RECOVERY_FORMULA,
    FOLLOWUP_FORMULA,
    REMEDY_FORMULA,
    PARADOX_FORMULA,
    HANDLER_FORMULA,
    FALLBACK_FORMULA,
    BUCKET_FORMULA,
)
