from fleet_tui.main import entry

entry()
