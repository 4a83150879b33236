"""Tenants, their API keys, user memberships and the per-request tenant scope."""
