"""The domain: Cinder's rules for volumes and attachments. Knows nothing of HTTP."""
