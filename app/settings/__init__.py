"""Django settings, one module per environment; production differs only through env vars."""
