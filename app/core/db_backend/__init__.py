"""PostgreSQL backend whose password comes from ``PASSWORD_SOURCE`` at every new connection."""
