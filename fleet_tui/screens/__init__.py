"""Full screens and modal dialogs of the terminal UI."""
