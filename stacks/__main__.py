"""Entry point the Pulumi CLI runs (``main: stacks/`` in Pulumi.yaml)."""

from stacks.program import main

main()
