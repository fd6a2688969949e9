"""Where the HTML that inline scripts write would appear on the page (issue 10 item 3).

scripthtml.py recovers what a script writes without running it; this module puts that markup into
the parsed tree where a browser would, so that it is judged like the rest of the page (hidden or
not, listed with the links, read as text): `document.write` lands right after its script;
innerHTML, jQuery's .html()/.append() and insertAdjacentHTML land in or beside the element they name
by id, else at the end of the body. Each insertion is wrapped in a `<span>` marked `WRITTEN_BY`, so
that evidence says which script wrote a link. Bounded by scripthtml's `MAX_HTML` characters per page
and `MAX_SCRIPT_SCAN` characters of each script.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from trustscan.collect.crawl.deadline import in_time
from trustscan.collect.crawl.parse import attr, first, parse_html, text_of
from trustscan.collect.crawl.scripthtml import MAX_HTML, Written, written_html
from trustscan.collect.crawl.scripttype import script_type_runs
from trustscan.collect.crawl.signatures import MAX_SCRIPT_SCAN
from trustscan.core.wordings import Wording, worded

# Marks the wrapper of the markup a script writes (an attribute no page uses): links inside say so.
WRITTEN_BY = "data-trustscan-written-by"  # how the markup was written (document.write, innerHTML ...)
WRITTEN_IN = "data-trustscan-written-in"  # by which inline <script> of the page, counted from 1


def insert_script_html(root: Any, deadline: float) -> bool:
    """Put the HTML that inline scripts write where it would appear (scripthtml.py), wrapped in a <span>.

    document.write lands right after its script; innerHTML, jQuery .html()/.append() and
    insertAdjacentHTML land in (or beside) the element they name by id, else at the end of the body.
    """
    budget = MAX_HTML
    inserted = False
    body = first(root, "body")
    by_id: dict[str, Any] | None = None
    for number, script in enumerate(list(root.iter("script")), start=1):
        if budget <= 0:
            break
        if script.get("src") or not script_type_runs(attr(script, "type")):
            continue
        in_time(deadline)
        for written in written_html(text_of(script)[:MAX_SCRIPT_SCAN], budget):
            budget -= len(written.html)
            fragment = parse_html("<body>" + written.html).root
            fragment_body = None if fragment is None else first(fragment, "body")
            if fragment_body is None:
                continue
            wrapper = etree.Element("span")
            wrapper.set(WRITTEN_BY, written.how)
            wrapper.set(WRITTEN_IN, str(number))
            wrapper.text = fragment_body.text
            wrapper.extend(list(fragment_body))
            if written.target_id is not None and by_id is None:
                by_id = {}
                for element in root.iter(etree.Element):
                    if element.get("id") and isinstance(element.tag, str):
                        by_id.setdefault(element.get("id"), element)
            target = (by_id or {}).get(written.target_id or "")
            _place(wrapper, written, script, target, body if body is not None else root)
            inserted = True
    return inserted


def _place(wrapper: Any, written: Written, script: Any, target: Any, body: Any) -> None:
    if written.how == "document.write":
        script.addnext(wrapper)
        return
    if target is None:
        body.append(wrapper)
        return
    position = written.position
    if written.how.endswith((".prepend()",)) or position == "afterbegin":
        target.insert(0, wrapper)
    elif written.how.endswith((".after()", ".replaceWith()")) or written.how == "outerHTML" or position == "afterend":
        target.addnext(wrapper)
    elif written.how.endswith(".before()") or position == "beforebegin":
        target.addprevious(wrapper)
    else:
        # innerHTML = / .html() replace the content, += / .append() / beforeend add to it: either way the
        # written markup ends up inside; what it replaces stays too (it was on the page before the script ran).
        target.append(wrapper)


def written_by(tag: Any) -> dict[str, Any]:
    """`{"written_by": "document.write in inline <script> #2", "written_by_wording": ...}` for markup a script
    writes (in English, and as a Wording for every output's language), else {}."""
    for ancestor in tag.iterancestors("span"):
        how, number = ancestor.get(WRITTEN_BY), ancestor.get(WRITTEN_IN) or ""
        if how and number.isdecimal() and len(number) < 7:  # the page's own markup may carry the names too
            return worded("written_by", Wording("finding.written_by", {"how": how[:60], "number": int(number)}))
    return {}
