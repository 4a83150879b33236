"""Network capability components."""
