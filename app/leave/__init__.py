"""Leave: leave types, yearly balances and the leave request workflow."""
