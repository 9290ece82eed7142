"""What a caseworker does to a household, each change with its audit row."""
