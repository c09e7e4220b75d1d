"""The hooks of the seals plugin; each delegates to the module that does the work."""
