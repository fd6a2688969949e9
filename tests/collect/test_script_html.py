"""Issue 10 item 3: HTML written by inline scripts is recovered without a JavaScript engine and analysed."""

from __future__ import annotations

import pytest

from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.scripthtml import MAX_WRITES, written_html
from trustscan.core.catalog import load_catalog


@pytest.mark.parametrize(("script", "how", "html"), [
    ("document.write('<a href=\"/x\">x</a>');", "document.write", '<a href="/x">x</a>'),
    ("document.writeln(\"<b>\" + \"c\\u00e1 c\\u01b0\\u1ee3c\" + '</b>')", "document.write", "<b>cá cược</b>"),
    ("el.innerHTML += `<p>${x}</p>` + '<i>i</i>'", None, None),  # a template with substitutions: unknown
    ("el.innerHTML = `<p>a</p>`", "innerHTML", "<p>a</p>"),
    ("node.outerHTML='<s>o</s>'", "outerHTML", "<s>o</s>"),
    ("d.insertAdjacentHTML(\"afterbegin\", '<u>u</u>')", "insertAdjacentHTML", "<u>u</u>"),
    ("$('.x').html('<em>h</em>')", "jQuery .html()", "<em>h</em>"),
    ("jQuery('body').prepend(\"\\x3cq\\x3eq\\x3c/q\\x3e\")", "jQuery .prepend()", "<q>q</q>"),
    ("document.write(unescape('%3Cb%3Eu%3C/b%3E%u0110'))", "document.write", "<b>u</b>Đ"),
    ("document.write(decodeURIComponent('%3Cb%3Ec%C3%A1%3C/b%3E'))", "document.write", "<b>cá</b>"),
    ("document.write(atob('PGI+YjwvYj4='))", "document.write", "<b>b</b>"),
    ("document.write(String.fromCharCode(60, 0x62, 62))", "document.write", "<b>"),
    ("document.write('<a href=\"' + site.url + '\">' + name + '</a>')", "document.write", '<a href=""></a>'),
    ("document.write(/* c */ '<i>' /* d */ + ('<b>' + 'z') + '</b></i>')", "document.write", "<i><b>z</b></i>"),
    ("document.write('line\\\ncontinued<br>')", "document.write", "linecontinued<br>"),
])
def test_constant_arguments_are_recovered(script: str, how: str | None, html: str | None) -> None:
    found = written_html(script)
    if how is None:
        assert found == []
    else:
        assert [(w.how, w.html) for w in found] == [(how, html)]


def test_not_markup_or_not_constant_is_ignored() -> None:
    assert written_html("document.write(text); el.innerHTML = ''; x.innerHTML == '<b>'; $('#a').html()") == []
    assert written_html("document.write('no markup here')") == []


def test_targets_named_by_id() -> None:
    found = written_html("document.getElementById('ft').innerHTML = '<b>1</b>'; $(\"#nav\").append('<b>2</b>');"
                         "document.querySelector('#q').insertAdjacentHTML('afterend', '<b>3</b>')")
    assert [(w.target_id, w.position) for w in found] == [("ft", "inside"), ("nav", "inside"), ("q", "afterend")]


def test_hostile_scripts_are_bounded() -> None:
    assert len(written_html("document.write('<b>x</b>');" * 500)) == MAX_WRITES
    assert written_html("document.write(" + "(" * 100_000 + "'<b>')") == []  # nesting is capped, no recursion error
    assert written_html("document.write(" * 100_000) == []
    assert written_html("document.write('<b>" + "x" * 1_000_000) == []  # unterminated
    assert len(written_html("document.write('<b>" + "x" * 100 + "')", budget=10)[0].html) == 10


def test_written_links_are_analysed_in_place_with_their_hiding() -> None:
    page = ("<html><body><div id=ft></div><div style='display:none'><script>document.write("
            "'<a href=\"https://nhacai.example/\">nh\\u00e0 c\\u00e1i</a>')</script></div>"
            "<script>document.getElementById('ft').innerHTML = \"<p hidden><a href='https://b.example/'>b</a></p>\";"
            "$('#nowhere').append('<a href=\"/c\">c</a>');"
            "document.write(\"<script src='https://coinhive.com/lib/coinhive.min.js'><\\/script>\")</script>"
            "<script type='text/template'>document.write('<a href=\"/t\">t</a>')</script></body></html>")
    facts = extract_page(page, "https://site.test/")
    links = {link["url"]: (link["hidden"], link.get("written_by")) for link in facts["links"]}
    assert links == {
        "https://nhacai.example/": ("ancestor div: display:none", "document.write in inline <script> #1"),
        "https://b.example/": ("ancestor p: hidden attribute", "innerHTML in inline <script> #2"),
        "https://site.test/c": (None, "jQuery .append() in inline <script> #2"),
    }
    assert [s["signals"][0]["id"] for s in facts["scripts"] if s["src"]] == ["miner.coinhive"]  # a written <script>
    said = {link["url"]: load_catalog("vi").reworded(link)["written_by"] for link in facts["links"]}
    assert said["https://b.example/"] == "innerHTML trong thẻ <script> nội tuyến #2"
    assert {"element": "div", "hidden": "display:none", "text": "nhà cái", "links": 1,
            "hidden_wording": {"id": "hiding.declaration", "values": {"declaration": "display:none"}}
            } in facts["hidden_blocks"]


def test_a_page_cannot_forge_the_mark_of_written_markup() -> None:
    """The page's own markup may carry the attribute names trustscan marks written markup with: never a crash,
    and markup the page wrote itself is not said to be written by a script."""
    page = ("<html><body><span data-trustscan-written-by='x' data-trustscan-written-in='not a number'>"
            "<a href='https://a.example/'>a</a></span><span data-trustscan-written-by='y'>"
            "<a href='https://b.example/'>b</a></span><script>document.write('<a href=\"/c\">c</a>')</script>"
            "</body></html>")
    facts = extract_page(page, "https://site.test/")
    written = {link["url"]: link.get("written_by") for link in facts["links"]}
    assert written == {"https://a.example/": None, "https://b.example/": None,
                       "https://site.test/c": "document.write in inline <script> #1"}
