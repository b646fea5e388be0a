"""The HTTP API: an app factory and the routers of each domain."""
