"""Deploying the stacks for real: account bootstrap, pre-flight checks, the Pulumi CLI."""
