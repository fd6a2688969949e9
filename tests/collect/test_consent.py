"""Affirmative consent in personal-data forms (issue 11 item 3), from real markup through extract_page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world.content import HIDDEN_CONSENT_FORM, IMPLIED_FORM, PRETICKED_FORM, TERMS_FORM
from trustscan.collect.crawl.consent import personal_data_forms
from trustscan.collect.crawl.extract import extract_page

POLICY = "https://s.test/chinh-sach-bao-mat.html"
FIELDS = '<input name="ho_ten" placeholder="Họ và tên"><input type="email" name="email">'
LINK = f'<a href="{POLICY}">chính sách bảo vệ dữ liệu cá nhân</a>'


def forms(markup: str, policy_url: str | None = POLICY) -> list[dict[str, Any]]:
    facts = extract_page(f"<html><body>{markup}</body></html>", "https://s.test/")
    return personal_data_forms([{"url": "https://s.test/", "final_url": "https://s.test/", "html": facts}],
                               policy_url)


def consent(markup: str) -> dict[str, Any]:
    (form,) = forms(markup)
    return form["consent"]


@pytest.mark.parametrize("control", [
    f'<label><input type="checkbox" name="dong_y" required> Tôi đồng ý với {LINK}</label>',
    f'<input type="checkbox" id="c" aria-required="true"><label for="c">I agree to the {LINK}</label>',
    # A lone box beside the consent wording, with no <label>, as often written.
    f'<input type="checkbox" name="x" required> Tôi đồng ý cho phép xử lý dữ liệu theo {LINK}',
    # An equally explicit control: a required choice, nothing chosen in advance.
    f'<label><input type="radio" name="consent" value="yes" required> Đồng ý</label>'
    f'<label><input type="radio" name="consent" value="no"> Không đồng ý</label>{LINK}',
])
def test_a_required_unticked_control_linking_the_policy_is_consent(control: str) -> None:
    verdict = consent(f"<form>{FIELDS}{control}</form>")
    assert verdict["affirmative"] and verdict["policy_link"] == POLICY, verdict


@pytest.mark.parametrize(("control", "problem"), [
    (f'<label><input type="checkbox" name="dong_y" checked required> Tôi đồng ý với {LINK}</label>',
     "consent checkbox dong_y is pre-ticked"),
    (f'<label style="display:none"><input type="checkbox" name="dong_y" required> Tôi đồng ý</label>{LINK}',
     "consent checkbox dong_y is hidden (ancestor label: display:none)"),
    (f'<label><input type="checkbox" name="dong_y" required disabled> Tôi đồng ý với {LINK}</label>',
     "consent checkbox dong_y is disabled"),
    (f'<label><input type="checkbox" name="dong_y"> Tôi đồng ý với {LINK}</label>',
     "consent checkbox dong_y is not required"),
    (f'<input type="hidden" name="agree" value="1">{LINK}', "hidden field agree sets consent without the visitor"),
    (f"<p>By submitting this form you agree to our {LINK}.</p>",
     "consent is only implied by text (by submitting): inaction is not consent"),
    (f'<label><input type="radio" name="consent" value="yes" checked required> Đồng ý</label>{LINK}',
     "consent choice consent is pre-ticked"),
    (LINK, "no consent control"),
])
def test_pre_ticked_hidden_disabled_optional_or_implied_consent_is_not_consent(control: str, problem: str) -> None:
    verdict = consent(f"<form>{FIELDS}{control}</form>")
    assert not verdict["affirmative"] and problem in verdict["problems"], verdict


def test_a_sound_box_without_a_policy_link_is_not_enough() -> None:
    verdict = consent(f'<form>{FIELDS}<label><input type="checkbox" name="c" required> Tôi đồng ý</label></form>')
    assert not verdict["affirmative"] and verdict["problems"] == ["no link to the personal-data policy in the form"]
    # The link may be to the page recognised as the policy, whatever its text says.
    linked = consent(f'<form>{FIELDS}<label><input type="checkbox" name="c" required> Tôi đồng ý với '
                     f'<a href="{POLICY}#muc-2">điều này</a></label></form>')
    assert linked["affirmative"]


def test_a_modal_form_hidden_with_its_box_is_judged_as_shown() -> None:
    verdict = consent(f'<div style="display:none"><form>{FIELDS}<label><input type="checkbox" name="c" required>'
                      f" Tôi đồng ý với {LINK}</label></form></div>")
    assert verdict["affirmative"], verdict


@pytest.mark.parametrize(("markup", "fields"), [
    ('<form><input name="q" type="search"></form>', []),  # search
    ('<form><input type="email" name="email"><input type="password" name="p"></form>', []),  # sign-in
    ('<form><input name="mst" placeholder="Mã số thuế"></form>', ["mst"]),
    ('<form><label>Tiền sử bệnh <textarea name="tien_su"></textarea></label></form>', ["tien_su"]),
    ('<form><input name="dateOfBirth"><input name="nationalId"></form>', ["dateOfBirth", "nationalId"]),
    ('<form><input name="so_cccd" placeholder="Số CCCD/CMND"></form>', ["so_cccd"]),
    ('<form><input name="keyword"><select name="linh_vuc"></select></form>', []),
])
def test_which_fields_are_personal_data(markup: str, fields: list[str]) -> None:
    found = forms(markup)
    assert (found[0]["personal_fields"] if found else []) == fields


def test_the_world_forms() -> None:
    assert consent(TERMS_FORM.replace("/dieu-khoan-su-dung.html", POLICY))["affirmative"]
    for form in (PRETICKED_FORM, IMPLIED_FORM, HIDDEN_CONSENT_FORM):
        assert not consent(form.replace("/chinh-sach-bao-mat.html", POLICY))["affirmative"]
