from fleet_tui.cli import entry

entry()
