"""The local SQLite store: schema and migrations, opening and recovery, records, the streaming
writer.
"""
