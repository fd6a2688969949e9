"""trustscan: check a website against the network-trust criteria of Decree 137/2024/ND-CP, Article 21."""

__version__ = "0.1.0"

#: Where trustscan's manual (this README) is published: SARIF's `informationUri`, and each rule's
#: `helpUri` is a section of it. One place to change when the project gets its public home.
__url__ = "https://trustscan.invalid/"

from trustscan.importhooks import skip_httpx_cli  # noqa: E402 - after the metadata above, before any httpx import

skip_httpx_cli()
