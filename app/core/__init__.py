"""Cross-cutting pieces of the app: request ids, logging, errors, pagination, RLS plumbing."""
