"""Liveness and readiness endpoints for load balancers and Kubernetes probes."""
