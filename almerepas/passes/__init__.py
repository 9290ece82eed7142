"""Passes and their credentials: what a resident shows, and how a code is checked."""
