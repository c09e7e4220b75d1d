"""Organisation, accounts, sessions and permission checks."""
