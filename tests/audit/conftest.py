from tests.auth.fixtures import app_context, frozen_clock

__all__ = ["app_context", "frozen_clock"]
