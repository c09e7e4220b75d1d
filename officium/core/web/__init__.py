"""The web layer: routing engine, templates, API conventions, error pages."""
