"""Saved agent profiles, the environment and .env, validation, the keyring, snippet parsing, and
how they combine.
"""
