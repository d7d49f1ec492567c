"""The HTTP layer: Flask routes that translate requests into core calls."""
