"""Rule data, installed as trustscan.rules: rules/*.yaml (each rule with its own Vietnamese and
English wording), messages/<lang>/*.yaml (the wording no single rule owns) and data/ (word lists,
signatures)."""
