"""Pass holders: logging in with a one-time code, and what a holder may see of their household."""
