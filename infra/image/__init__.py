"""Image capability components."""
