"""The bundled demo agent and the launcher for a local Agent Server (see `server.py`).

Importing this package is cheap: the agent and auth modules are loaded by the server
process, not by the client.
"""
