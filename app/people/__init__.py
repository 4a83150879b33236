"""People: departments and employees of a tenant."""
