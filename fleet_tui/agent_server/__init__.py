"""Talking to a LangGraph Agent Server: HTTP requests, SSE decoding, streams and rejoins. Turns the
wire into domain events.
"""
