"""The offline validation kit: verifies pass codes from a cached, signed key and revocation
bundle. No Flask, no database: it runs on a bus validator."""
