"""Telegram-facing handlers, one module per flow: parse → one service call → reply."""
