"""Zalo clients (Official Account API v3 and Zalo Bot API) and what the adapter builds on."""
