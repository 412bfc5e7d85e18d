"""The supplier-facing services behind the portal (`portal/` is only the adapter): what a supplier
confirms and ships (`actions`), the lists they read (`queries`), the stock of what they supply."""
