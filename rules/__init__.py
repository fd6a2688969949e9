"""Rule data: rules/*.yaml and the message catalogues (installed as trustscan.rules)."""
