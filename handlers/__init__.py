"""Feature handlers, one module per feature, and the Vietnamese texts they show."""
