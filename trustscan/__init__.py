"""trustscan: check a website against the network-trust criteria of Decree 137/2024/ND-CP, Article 21."""

__version__ = "0.1.0"
