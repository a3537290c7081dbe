"""Reading the log: sources, JSON lines, the loader, windows, live refresh and its report."""
