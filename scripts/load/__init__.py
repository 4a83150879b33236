"""Load tests of the tenant API with Locust: scenarios, flows, injected faults, criteria."""
