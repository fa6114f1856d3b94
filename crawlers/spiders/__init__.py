"""Spiders: a generic news spider driven by the sources file, and a Telegram preview spider."""
