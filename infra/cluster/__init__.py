"""Cluster capability components."""
