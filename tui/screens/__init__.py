"""afina's terminal UI and command line."""
