"""First-party plugins: one package per function module, each registered through an entry point."""
