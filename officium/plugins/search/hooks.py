"""The hooks of the search plugin; each delegates to the module that does the work."""
