"""Reminders that follow the register (issue 17 part 6): the screening managers hear before a member's
deadline passes without advice, and when a covered member's renewal must start."""
