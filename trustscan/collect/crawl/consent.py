"""Affirmative consent in forms that collect personal data (criterion b), from the crawl's form facts.

Decree 13/2023/ND-CP Art. 11: consent is given voluntarily, clearly and specifically, by an
affirmative act; silence or inaction is not consent. So a form that collects personal data (its fields
named, labelled or typed as such: `rules/data/privacy-vocabulary.yaml`) has consent only when it
carries a consent control the visitor must operate and that links to the policy:

* a checkbox (or a radio choice) labelled with consent, visible, enabled, not ticked in advance and
  `required` (or `aria-required="true"`), so the form cannot be sent without it;
* a link to the personal-data policy inside the form.

A pre-ticked, hidden, disabled or optional box, a hidden field that pre-sets consent, and text such
as "by submitting you agree" are each named as the reason the form fails. A sign-in form (a password
and one identifier) collects nothing new and is not judged. Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urldefrag, urlsplit

from trustscan.collect.crawl.hiding import hidden_how
from trustscan.collect.crawl.lexicon import Lexicon, privacy_vocabulary
from trustscan.core.wordings import Wording

MAX_FORMS = 30
_NOT_PERSONAL_TYPES = {"hidden", "submit", "button", "reset", "image", "checkbox", "radio", "password", "file",
                       "search", "range", "color"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def personal_data_forms(pages: list[dict[str, Any]], policy_url: str | None) -> list[dict[str, Any]]:
    """Every distinct form that collects personal data, with its consent judged."""
    vocabulary = privacy_vocabulary()
    forms: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for page in pages:
        page_url = page.get("final_url") or page["url"]
        for form in page["html"]["forms"]:
            personal = personal_fields(form, vocabulary)
            if not personal or _is_login(form, personal):
                continue
            key = (form.get("action_url") or "", tuple(f.get("name") or "" for f in form["fields"]))
            if key in forms:
                continue
            forms[key] = {"page": page_url, "form": form["element"], "action": form.get("action_url"),
                          "personal_fields": personal, "consent": judge_consent(form, policy_url, vocabulary)}
            if len(forms) == MAX_FORMS:
                return list(forms.values())
    return list(forms.values())


def personal_fields(form: dict[str, Any], vocabulary: dict[str, Any]) -> list[str]:
    """Names of the form's fields that collect personal data."""
    lexicon: Lexicon = vocabulary["personal_field"]
    types = frozenset(vocabulary["personal_input_types"])
    found = []
    for field in form["fields"]:
        kind = field.get("type") or "text"
        if kind in _NOT_PERSONAL_TYPES:
            continue
        words = " ".join(_CAMEL.sub(" ", field.get(k) or "") for k in ("name", "id", "placeholder", "autocomplete",
                                                                       "label"))
        if kind in types or lexicon.in_text(words) or lexicon.in_url(words):
            found.append(field.get("name") or field.get("id") or kind)
    return found


def _is_login(form: dict[str, Any], personal: list[str]) -> bool:
    """A sign-in form (password + one identifier) collects nothing new: not a personal-data form."""
    has_password = any(f.get("type") == "password" for f in form["fields"])
    return has_password and len(personal) <= 1


def judge_consent(form: dict[str, Any], policy_url: str | None, vocabulary: dict[str, Any]) -> dict[str, Any]:
    """{affirmative, control, policy_link, problems, problems_wording}: affirmative only with a sound control
    and a policy link. `problems` in English, `problems_wording` the same as Wordings for every output's language.
    """
    consent: Lexicon = vocabulary["form_consent"]
    policy: Lexicon = vocabulary["policy_link"]
    problems: list[Wording] = []
    control: str | None = None
    radio_groups: dict[str, list[dict[str, Any]]] = {}
    checkboxes = [field for field in form["fields"] if field.get("type") == "checkbox"]
    # A lone checkbox beside consent wording without a <label> (common markup) is that consent's box.
    lone_box = checkboxes[0] if len(checkboxes) == 1 and consent.in_text(form.get("text")) else None
    for field in form["fields"]:
        kind = field.get("type")
        words = " ".join(field.get(k) or "" for k in ("label", "name", "id"))
        about_consent = field is lone_box or bool(consent.in_text(words) or consent.in_url(words)
                                                  or policy.in_text(words))
        name = field.get("name") or field.get("id") or kind or "?"
        if kind == "hidden" and about_consent:
            problems.append(Wording("consent.hidden_field", {"name": name}))
        elif kind == "checkbox" and about_consent:
            faults = _control_faults(field, form)
            if faults:
                problems.append(Wording("consent.checkbox_faults", {"name": name, "faults": faults}))
            elif control is None:
                control = f"checkbox {name}"
        elif kind == "radio" and about_consent:
            radio_groups.setdefault(field.get("name") or "", []).append(field)
    for name, options in radio_groups.items():
        by_text = {fault.english(): fault for option in options for fault in _control_faults(option, form)
                   if fault.id != _NOT_REQUIRED.id}
        faults = [by_text[text] for text in sorted(by_text)]
        if not any(option.get("required") for option in options):
            faults.append(_NOT_REQUIRED)
        if faults:
            problems.append(Wording("consent.choice_faults", {"name": name or "?", "faults": faults}))
        elif control is None:
            control = f"choice {name}"
    implied = vocabulary["implied_consent"].in_text(form.get("text"))
    if control is None and implied:
        problems.append(Wording("consent.implied", {"terms": ", ".join(implied)}))
    if control is None and not problems:
        problems.append(Wording("consent.no_control"))
    link = _policy_link(form, policy_url, policy)
    if link is None:
        problems.append(Wording("consent.no_policy_link"))
    return {"affirmative": control is not None and link is not None, "control": control, "policy_link": link,
            "problems": [problem.english() for problem in problems],
            "problems_wording": [problem.to_json() for problem in problems]}


_NOT_REQUIRED = Wording("consent.fault.not_required")


def _control_faults(field: dict[str, Any], form: dict[str, Any]) -> list[Wording]:
    """Why a consent control does not take an affirmative act: ticked, hidden, disabled, optional."""
    faults = []
    if field.get("checked"):
        faults.append(Wording("consent.fault.pre_ticked"))
    # A control hidden with its whole form (a modal opened by script) is as visible as the form.
    hidden = field.get("hidden")
    if hidden and hidden != form.get("hidden"):
        faults.append(Wording("consent.fault.hidden", {"how": hidden_how(field)}))
    if field.get("disabled"):
        faults.append(Wording("consent.fault.disabled"))
    if not field.get("required"):
        faults.append(_NOT_REQUIRED)
    return faults


def _policy_link(form: dict[str, Any], policy_url: str | None, policy: Lexicon) -> str | None:
    """The form's link to the policy: to the page recognised as the policy, or named as the policy."""
    target = urldefrag(policy_url).url if policy_url else None
    for link in form.get("links") or []:
        url = link.get("url")
        if not url:
            continue
        path = urlsplit(url).path
        if (target and urldefrag(url).url == target) or policy.in_text(link.get("text")) or policy.in_url(path):
            return str(url)
    return None
