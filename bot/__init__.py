"""Elenchus: Socratic dialogues on micro-credentials, in Telegram and in the terminal."""

__version__ = "0.1.0"
