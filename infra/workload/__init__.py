"""Workload capability components."""
