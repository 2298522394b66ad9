"""Protocol versions, the schedule of activities and eligibility criteria: every write goes through here."""

from __future__ import annotations

from trialsite.protocols.selectors import version_in_force

__all__ = ["version_in_force"]
