"""The hooks of the mail plugin; each delegates to the module that does the work."""
