"""Loadbalancer capability components."""
