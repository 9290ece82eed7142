"""Applications: what a resident asks for (issue 13)."""
