"""Sites of the test world for what the crawler must fetch to see (criterion đ, issue 10).

Each differs from the clean baseline in the one technique it shows: cloaking by User-Agent or by
Referer, doorway pages announced only in sitemaps, hidden frames, script redirects, executables
offered from another site. ``fetch-clean`` is the trap beside them: everything on it is legitimate
and looks a little like those techniques (a per-request token, a slightly different page for
crawlers, gambling *news*, an unlinked page in an upload folder listed by its sitemap, Google Tag
Manager's hidden frame, a visible video embed, a tiny same-site frame, its own APK, app-store
links, same-site redirects), and it must pass.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .content import HIDDEN_CASINO_FOOTER, page
from .nginx import Variant

#: Where a site's crawler-only files live, under its document root (never linked).
BOT_ROOT = "_bot"
#: Crawlers' User-Agent tokens a cloaking site matches, as the spam kits do.
BOT_PATTERN = "googlebot|bingbot|coccocbot"
#: Referers of search results pages a cloaking site matches.
SEARCH_REFERER_PATTERN = r"(google|bing|coccoc)\."
#: In fetch-clean's pages, replaced by nginx with a new $request_id on every request.
REQUEST_ID = "@REQUEST_ID@"
LISTED_HOST = "www.nha-cai.trustscan.test"  # on the world's snapshot (blocklist.py)
LISTED_REDIRECT = "https://lua-dao.trustscan.test/dang-nhap"  # on the snapshot too

Files = dict[str, bytes]


@dataclass(frozen=True)
class FetchSite:
    """What a site shows, its files (given its host and https origin), and its cloaking, if any."""

    what: str
    files: Callable[[str, str], Files]
    bot_files: Callable[[str, str], Files] | None = None  # served instead to search crawlers' User-Agents
    search_redirect: str | None = None  # 302 target for visitors with a search results Referer
    request_id: bool = False  # REQUEST_ID in pages becomes a new value per request


def _sitemap(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc><lastmod>2024-05-01</lastmod></url>" for url in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</urlset>\n").encode()


def _sitemap_index(urls: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{entries}</sitemapindex>\n').encode()


NEWS = ("<h2>Công an triệt phá đường dây đánh bạc, cá cược bóng đá qua mạng</h2><p>Công an tỉnh vừa triệt phá "
        "một đường dây tổ chức đánh bạc dưới hình thức cá cược bóng đá qua mạng, thu giữ nhiều tang vật. "
        "Người dân không tham gia các trang cá cược trái phép.</p>")


def _clean_home(host: str, *, for_bots: bool) -> str:
    # Crawlers get a lighter page (no token, a sitemap link): different bytes and same-site links, the
    # same off-site links and words: not cloaking.
    token = "" if for_bots else f'<p>Mã phiên: {REQUEST_ID}</p>'
    extra = '<a href="/so-do-trang.html">Sơ đồ trang</a>' if for_bots else ""
    return page(host, f"<h1>{host}</h1>{token}{extra}"
                '<ul><li><a href="/tin-tuc/triet-pha.html">Tin an ninh trật tự</a></li>'
                '<li><a href="/trang-cu.html">Trang cũ</a></li></ul>'
                '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560" height="315"></iframe>'
                '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-TEST" height="0" width="0" '
                'style="display:none;visibility:hidden"></iframe></noscript>'
                '<iframe src="/giu-phien.html" width="1" height="1" style="border:0"></iframe>'
                '<p>Ứng dụng: <a href="/files/dich-vu-cong.apk">tải tệp APK</a>, '
                '<a href="https://play.google.com/store/apps/details?id=vn.gov.dichvucong">Google Play</a>, '
                '<a href="https://apps.apple.com/vn/app/dich-vu-cong/id1234567890">App Store</a></p>',
                head=f'<meta name="csrf-token" content="{REQUEST_ID}">' if not for_bots else "")


def _clean(host: str, origin: str) -> Files:
    files = {
        "/index.html": _clean_home(host, for_bots=False),
        "/tin-tuc/triet-pha.html": page("Tin an ninh", NEWS),
        # Same-site redirects, by meta refresh and by script: not off-site, nothing to report.
        "/trang-cu.html": page("Trang cũ", f'<script>window.location.href = "//{host}/tin-tuc/triet-pha.html";'
                               "</script>",
                               head='<meta http-equiv="refresh" content="5; url=/tin-tuc/triet-pha.html">'),
        "/giu-phien.html": page("Giữ phiên", "<p>ok</p>", footer=False),
        "/uploads/2024/thong-bao-tuyen-dung.html": page("Thông báo tuyển dụng", "<p>Thông báo tuyển dụng viên chức "
                                                        "năm 2024.</p>"),
        "/robots.txt": f"User-agent: *\nDisallow: /admin/\nSitemap: {origin}/sitemap.xml\n",
    }
    out = {path: text.encode() for path, text in files.items()}
    out["/files/dich-vu-cong.apk"] = b"PK\x03\x04 not really an app"
    out["/sitemap.xml"] = _sitemap([f"{origin}/", f"{origin}/tin-tuc/triet-pha.html",
                                    f"{origin}/uploads/2024/thong-bao-tuyen-dung.html"])
    return out


def _clean_for_bots(host: str, origin: str) -> Files:
    return {**_clean(host, origin), "/index.html": _clean_home(host, for_bots=True).encode(),
            "/so-do-trang.html": page("Sơ đồ trang", '<a href="/">Trang chủ</a>').encode()}


DOORWAY_LISTED = ("<h1>Slot gacor – nhà cái uy tín</h1><p>Đăng ký nhận thưởng: "
                  f'<a href="https://{LISTED_HOST}/dang-ky">nhà cái uy tín</a></p>')


def _doorway(host: str, origin: str) -> Files:
    # robots.txt -> a sitemap index -> a gzip sitemap (and a missing one) -> a doorway page in an upload
    # folder; /sitemap.xml, which robots.txt does not name, lists a second one. No page links either.
    first = "/wp-content/uploads/2024/05/slot-gacor.html"
    second = "/uploads/tmp/nha-cai-uy-tin.html"
    return {
        "/index.html": page(host, f"<h1>{host}</h1><p>Cổng thông tin.</p>").encode(),
        "/robots.txt": f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {origin}/sitemap_index.xml\n".encode(),
        "/sitemap_index.xml": _sitemap_index([f"{origin}/sitemaps/pages.xml.gz", f"{origin}/sitemaps/missing.xml"]),
        "/sitemaps/pages.xml.gz": gzip.compress(_sitemap([f"{origin}/", f"{origin}{first}"])),
        "/sitemap.xml": _sitemap([f"{origin}{second}"]),
        first: page("Slot gacor", DOORWAY_LISTED, footer=False).encode(),
        second: page("Nhà cái", f"<p>Tin tức</p>{HIDDEN_CASINO_FOOTER}", footer=False).encode(),
    }


def _plain(body: Callable[[str], str]) -> Callable[[str, str], Files]:
    return lambda host, origin: {"/index.html": page(host, f"<h1>{host}</h1>{body(host)}").encode()}


BOT_SPAM = ('<div class="doi-tac"><p>Nhà cái uy tín – cá cược bóng đá – nổ hũ đổi thưởng</p>'
            '<a href="https://nhacai-uytin.example/">nhà cái uy tín</a> '
            '<a href="https://casino-online.example/">casino online</a></div>')


BOT_DOORWAY = "/uploads/2024/05/nha-cai-uy-tin.html"  # listed in the sitemap, served to crawlers only


def _cloak_bot(host: str, origin: str) -> Files:
    return {"/index.html": page(host, f"<h1>{host}</h1><p>Cổng thông tin.</p>").encode(),
            "/sitemap.xml": _sitemap([f"{origin}/", f"{origin}{BOT_DOORWAY}"])}


def _cloak_bot_for_bots(host: str, origin: str) -> Files:
    return {"/index.html": page(host, f"<h1>{host}</h1><p>Cổng thông tin.</p>{BOT_SPAM}").encode(),
            BOT_DOORWAY: page("Nhà cái uy tín", BOT_SPAM, footer=False).encode()}


FRAMES = ('<iframe src="https://quang-cao.example/dem.html" width="1" height="1" frameborder="0"></iframe>'
          f'<style>.an {{ display: none }}</style><div class="an"><object data="https://{LISTED_HOST}/banner.swf">'
          "</object></div>"
          '<embed src="https://evil-embed.example/x.swf" style="width:0px;height:0px">')


def _redirect_script(host: str, origin: str) -> Files:
    return {
        "/index.html": page(host, f'<h1>{host}</h1><a href="/thong-bao.html">Thông báo</a> '
                            '<a href="/su-kien.html">Sự kiện</a>').encode(),
        "/thong-bao.html": page("Thông báo", "<p>Thông báo</p><script>setTimeout(function () { "
                                f'top.location.replace("{LISTED_REDIRECT}"); }}, 3000);</script>').encode(),
        "/su-kien.html": page("Sự kiện", "<script>window.location.href = 'https://su-kien-moi.example/';</script>"
                              ).encode(),
    }


DOWNLOADS = ('<p><a href="https://dichvucong-vneid.example/VNeID.apk">Tải ứng dụng VNeID</a> '
             '<a href="https://tai-ve.example/get.php?file=CongDichVu.exe">Phần mềm kê khai</a> '
             '<a href="/files/huong-dan.apk">Tệp của trang</a> '
             '<a href="https://play.google.com/store/apps/details?id=vn.gov.vneid">Google Play</a></p>')

#: site name -> its definition; tests/world/sites.py adds them to the world.
FETCH_SITES: dict[str, FetchSite] = {
    "fetch-clean": FetchSite("legitimate look-alikes of every fetch technique: per-request token, lighter page "
                             "for crawlers, gambling news, sitemap page in an upload folder, GTM frame, video, "
                             "own APK, app stores", _clean, bot_files=_clean_for_bots, request_id=True),
    "fetch-doorway": FetchSite("doorway pages in upload folders, listed only in sitemaps (robots.txt -> index -> "
                               "gzip; /sitemap.xml)", _doorway),
    "cloak-bot": FetchSite("gambling links and text only for Googlebot, Bingbot and coccocbot; a sitemap page "
                           "only they get (404 for visitors)", _cloak_bot,
                           bot_files=_cloak_bot_for_bots),
    "cloak-referer": FetchSite("visitors from Google, Bing or Cốc Cốc search redirected to a listed host",
                               _plain(lambda host: "<p>Cổng thông tin.</p>"), search_redirect=LISTED_REDIRECT),
    "frames-hidden": FetchSite("1x1 iframe, hidden <object> (listed host), zero-size <embed> to other sites",
                               _plain(lambda host: FRAMES)),
    "redirect-script": FetchSite("script redirects: to a listed host (top.location.replace) and to an unrelated one",
                                 _redirect_script),
    "downloads-apk": FetchSite("links to an APK and an EXE on other sites (and its own APK, Google Play)",
                               _plain(lambda host: DOWNLOADS)),
}


def fetch_files(name: str, host: str, origin: str) -> Files:
    """A fetch site's files, crawler-only ones under BOT_ROOT; {} for other sites."""
    site = FETCH_SITES.get(name)
    if site is None:
        return {}
    files = site.files(host, origin)
    if site.bot_files is not None:
        files.update({f"/{BOT_ROOT}{path}": body for path, body in site.bot_files(host, origin).items()})
    return files


def content_type(path: str) -> str | None:
    """The Content-Type to force for a path nginx would serve as application/octet-stream."""
    return {".xml": "application/xml", ".gz": "application/gzip"}.get(Path(path).suffix)


def server_options(name: str, root: Path) -> dict[str, Any]:
    """The nginx.Server settings of a fetch site's HTTPS server: its cloaking and per-request token."""
    site = FETCH_SITES.get(name)
    if site is None:
        return {}
    variants = []
    if site.bot_files is not None:
        variants.append(Variant("$http_user_agent", BOT_PATTERN, root=root / BOT_ROOT))
    if site.search_redirect is not None:
        variants.append(Variant("$http_referer", SEARCH_REFERER_PATTERN, redirect=site.search_redirect))
    return {"variants": tuple(variants), "request_id": REQUEST_ID if site.request_id else None}
