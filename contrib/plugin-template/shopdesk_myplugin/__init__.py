"""A Shopdesk plugin template. The hook implementations live in ``plugin.py``."""
