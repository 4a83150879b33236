"""Offline preview: synthesize stack plans under Pulumi's mock runtime, compare and report them."""
