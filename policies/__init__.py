"""HRMS CrossGuard policy pack: per-domain rules, the pack registry and the offline evaluator.

Importing this package never constructs the ``PolicyPack`` (that starts a gRPC server);
only ``policies/__main__.py`` does, for the Pulumi CLI.
"""
