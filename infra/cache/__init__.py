"""Cache capability components."""
