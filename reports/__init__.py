"""Report data: the JSON Schema and templates (installed as trustscan.reports)."""
