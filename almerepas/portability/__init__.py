"""The open export: every table of the data model to CSV or JSON Lines, and back into an empty
instance (issue 15, "No lock-in"; docs/operations.md, "Taking all data out: the open export").

catalogue.py says what is exported and what is left out (with the reason), formats.py how a
value is written, export.py and restore.py do the work; almerepas.cli.portability is the face.
"""
