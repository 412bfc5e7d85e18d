"""Admin-editable settings: thresholds and rules read by the domains (`get_setting`)."""
