"""The hooks of the docs_outgoing plugin; each delegates to the module that does the work."""
