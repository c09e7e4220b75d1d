"""The hooks of the docs_incoming plugin; each delegates to the module that does the work."""
