"""The control plane under /__admin: a mock extension, never under a provider's paths."""

from mockserver.admin.routes import RUNTIME, add_admin_routes

__all__ = ["RUNTIME", "add_admin_routes"]
