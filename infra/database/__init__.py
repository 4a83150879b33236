"""Database capability components."""
