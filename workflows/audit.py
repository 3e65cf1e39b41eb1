"""Entries of the trail about the trail itself: they have no machine, only a label."""

from __future__ import annotations

from workflows.machine import Event
from workflows.text import N_

#: Actions recorded against the audit trail (object type ``audit``).
ACTIONS = (Event("erase_trail_texts", N_("Trail texts erased")),)
