"""Accounts and sign-in. Per-store roles and API tokens build on these users."""

from .models import User, create_user, set_password  # noqa: F401
