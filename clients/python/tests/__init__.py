"""Tests of the Python client: against a scripted fake server, and against the real server binary ($INTERVIEWS_BIN)."""
