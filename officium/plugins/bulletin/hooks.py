"""The hooks of the bulletin plugin; each delegates to the module that does the work."""
