"""Wiring of the citizen digital-skills assistant: config, dispatcher, channels, CLI."""
