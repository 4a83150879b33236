"""Append-only audit log of changes made through the API."""
