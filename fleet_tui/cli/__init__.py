"""`fleet-tui ask | threads | config`: print service events; never imports the TUI."""
