"""The hooks of the leave plugin; each delegates to the module that does the work."""
