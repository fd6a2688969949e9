"""Criterion b from the crawl: the facts its rules read (rules/b-privacy.yaml), from three analyses.

Decree 137/2024/ND-CP Art. 21(2)(b) asks for a commitment to collect personal data only with the
user's consent; Decree 13/2023/ND-CP (Art. 11) says what consent is. A scan can see:

* policy.py — a personal-data policy, recognised by what it says (HTML or PDF, up to two link hops),
  and whether it commits to consent and cites the law;
* consent.py — whether every form that collects personal data asks for affirmative consent;
* tracking.py — whether third-party trackers run, or set cookies, on a first view before consent.

The only I/O is policy.py's fetches of candidate documents.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from trustscan.collect.crawl.consent import personal_data_forms
from trustscan.collect.crawl.content import html_pages
from trustscan.collect.crawl.policy import consent_in_policy, find_policy
from trustscan.collect.crawl.tracking import tracking_before_consent
from trustscan.core.errors import ProbeError


async def analyse_privacy(client: httpx.AsyncClient, crawl: dict[str, Any], *, timeout: float,
                          deadline: float) -> dict[str, Any]:
    """The facts criterion b's rules read; see rules/b-privacy.yaml."""
    pages = html_pages(crawl)
    policy = await find_policy(client, pages, timeout=timeout, deadline=deadline)
    if policy["found"] is None and time.monotonic() >= deadline:
        # Not "no policy": the candidates were not all read. An error, never a verdict on half the evidence.
        raise ProbeError("error.privacy.deadline")
    document = policy["document"]
    said = consent_in_policy(document.text) if document else {"consent_terms": [], "law_references": []}
    policy_url = document.url if document else None
    forms = personal_data_forms(pages, policy_url)
    tracking = tracking_before_consent(crawl["pages"])
    return {
        "pages_analysed": len(pages),
        "policy_candidates": policy["candidates"],
        "policy_fetches": policy["fetches"],
        # None (unknown: a rule reading it is an error) when a candidate could not be read in time.
        "policy_found": policy["found"],
        "policy_url": policy_url,
        "policy_kind": document.kind if document else None,
        "policy_recognition": policy["recognised"],
        "policy_consent": bool(said["consent_terms"]),
        "policy_consent_terms": said["consent_terms"],
        "law_references": said["law_references"],
        "personal_data_forms": forms,
        "forms_without_consent": [{k: v for k, v in form.items() if k != "consent"}
                                  | {"problems": form["consent"]["problems"],
                                     "problems_wording": form["consent"]["problems_wording"]}
                                  for form in forms if not form["consent"]["affirmative"]],
        **tracking,
    }
