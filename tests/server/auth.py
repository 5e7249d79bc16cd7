"""The tests' server uses the demo's Fleet-like auth (keys come from the environment)."""

from fleet_tui.demo.auth import auth

__all__ = ["auth"]
