"""The tenant-facing API edge: API Gateway with tier usage plans behind WAF."""
