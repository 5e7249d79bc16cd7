"""Use cases shared by the TUI and the CLI: the conversation service (one run orchestrator, one
recorder), sync, export, snippets, choosing the agent.
"""
