"""Throwaway local servers (PostgreSQL) for tests, benchmarks and ops drills on loopback."""
