"""afina's core: no UI code here, and heavy libraries are imported inside functions."""
