"""How long a signed self-declaration may be valid: for the signer, the verifier and the `--valid-days` option.

A module of its own so that `trustscan audit`, which offers `--valid-days`, does not import the signing
code (in-toto statement, JSON canonicalisation, DSSE) unless it signs.
"""

DEFAULT_VALID_DAYS = 90
#: The longest validity trustscan signs (`--valid-days`); a declaration claiming more is refused at verify.
MAX_VALID_DAYS = 3660
