"""Declaraties: a holder who paid a fee at a club or shop that is not a partner gets it back."""
