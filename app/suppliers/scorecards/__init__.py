"""Supplier scorecards: the pure scoring (`scoring`), the events it reads (`queries`, `details`),
the read service and the staff pages (`views`, with its templates)."""
