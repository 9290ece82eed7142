"""The page tests sign in as the web tests do."""

from tests.web.conftest import sign_in

__all__ = ["sign_in"]
