"""Alerting and visibility: encrypted alert topic, alarms with runbooks, dashboards, log groups."""
