"""The Telegram shell: updates in, use-case calls, rendered messages out through one adapter."""
