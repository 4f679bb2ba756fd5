"""Exports: pure functions from records to file contents. No Telegram, no SQL."""
