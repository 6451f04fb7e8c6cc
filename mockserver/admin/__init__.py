"""The control plane under /__admin: a mock extension, never under a provider's paths."""

from mockserver.admin.routes import add_admin_routes

__all__ = ["add_admin_routes"]
