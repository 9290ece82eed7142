"""Uploaded files (evidence, receipts): their bytes in the database, for every app server."""
