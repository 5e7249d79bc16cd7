"""Cross-cutting helpers every layer may use: exit codes, errors, untrusted-text and secret
handling, crash reports, process lifetime, the GC policy. Imports nothing above.
"""
