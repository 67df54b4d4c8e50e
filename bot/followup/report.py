"""What follow-ups achieved: computed in feedback/followups.py (the report and the dashboard read it
too); named here for the desk."""

from __future__ import annotations

from feedback.followups import FOLLOWUP_FORMULA, FollowUpFigures, followup_figures

__all__ = ["FOLLOWUP_FORMULA", "FollowUpFigures", "followup_figures"]
