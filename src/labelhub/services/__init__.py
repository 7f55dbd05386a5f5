"""Service functions: the one place where rules meet storage. Routers and CLI commands call these."""
