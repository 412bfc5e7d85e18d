"""Purchase orders, receipts and inspection, returns to supplier, short-close."""
