"""Built-in plugins; each registers through the afina.* entry-point groups."""
