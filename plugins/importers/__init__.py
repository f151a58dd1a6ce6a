"""Built-in importers, one module per export format."""
