"""Languages: the shell speaks English, Traditional and Simplified Chinese, formats money and dates
the reader's way, and plugins bring their own catalogues."""

import io
import re
from collections import defaultdict
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import g, render_template_string

from shopdesk.auth.permissions import BUILTIN_ROLES, HOST_PERMISSIONS
from shopdesk.auth.roles import BUILTIN_DESCRIPTIONS
from shopdesk.auth.tokens import ApiToken
from shopdesk.i18n import HOST_TRANSLATIONS, translation_directories
from shopdesk.money import Money
from shopdesk.stores import use_store

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["zh_Hant", "zh_Hans"]
# Every catalogue in the repository, as `make translations` finds them: the host's and each
# plugin package's translations/ folder (the package it describes is its parent).
CATALOGUES = [HOST_TRANSLATIONS] + sorted(ROOT.glob("plugins/*/shopdesk_*/translations")) \
    + sorted(ROOT.glob("contrib/*/shopdesk_*/translations"))
# Strings written the same in every language. A host msgid listed here may show in English.
SAME_IN_EVERY_LANGUAGE = {"Shopdesk", "API", "CSV", "ID", "IP"}
SHELL_PAGES = ["/s/acme/", "/s/acme/plugins", "/s/acme/members", "/s/acme/roles", "/s/acme/tokens",
               "/s/acme/settings", "/s/acme/audit", "/account/password", "/account/profile"]


def read_catalogue(path):
    with open(path, "rb") as f:
        return read_po(f) if path.suffix in (".po", ".pot") else read_mo(f)


def contents(catalogue) -> dict:
    """{(context, msgid): translation}; plural forms as tuples, whichever file they came from."""
    def plain(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(m.context, plain(m.id)): plain(m.string) for m in catalogue if m.id}


def catalogue_files():
    return [(folder, locale) for folder in CATALOGUES for locale in LOCALES]


def ids(param):
    return str(param.relative_to(ROOT)) if isinstance(param, Path) else str(param)


# --- the catalogues ----------------------------------------------------------------------


def test_every_package_with_marked_strings_has_its_catalogue():
    assert HOST_TRANSLATIONS in CATALOGUES
    assert ROOT / "contrib/store-notes/shopdesk_store_notes/translations" in CATALOGUES


@pytest.mark.parametrize("folder", CATALOGUES, ids=lambda f: str(f.relative_to(ROOT)))
def test_the_template_holds_every_marked_string(folder):
    """Run `make translations` after marking a string: this fails until you do."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    marked = {(context, message) for _, _, message, _, context
              in extract_from_dir(str(folder.parent), method_map, options_map, keywords=keywords)}
    assert marked == set(contents(read_catalogue(folder / "messages.pot")))


@pytest.mark.parametrize("folder, locale", catalogue_files(), ids=ids)
def test_every_message_is_translated(folder, locale):
    template = read_catalogue(folder / "messages.pot")
    po = read_catalogue(folder / locale / "LC_MESSAGES" / "messages.po")
    missing = [m.id for m in template if m.id and not (
        (found := po.get(m.id, m.context)) is not None and not found.fuzzy
        and all(found.string if isinstance(found.string, tuple) else [found.string]))]
    assert missing == [], f"untranslated in {locale}: run `make translations` and translate them"
    assert [(m.id, errors) for m, errors in po.check()] == []  # placeholders match


@pytest.mark.parametrize("folder, locale", catalogue_files(), ids=ids)
def test_the_committed_mo_files_are_compiled_from_the_po_files(folder, locale):
    messages = folder / locale / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(messages / "messages.po"))
    compiled.seek(0)
    assert contents(read_mo(compiled)) == contents(read_catalogue(messages / "messages.mo")), \
        "messages.mo is stale: run `make translations`"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_message_shared_by_catalogues_reads_the_same_in_each_language(locale):
    """The host merges every catalogue into one gettext domain, so a message that two packages
    both mark shows one translation on all their pages: the one merged last. Same meaning: same
    words in every catalogue. Different meaning: a message context, `pgettext("transfer", "From")`."""
    translations = defaultdict(dict)  # (context, msgid) -> {package: translation}
    for folder in CATALOGUES:
        po = read_catalogue(folder / locale / "LC_MESSAGES" / "messages.po")
        for key, string in contents(po).items():
            if all(string) if isinstance(string, tuple) else string:
                translations[key][ids(folder.parent)] = string
    differing = {key: by_package for key, by_package in translations.items() if len(set(by_package.values())) > 1}
    if differing:
        pytest.fail(
            f"{locale}: these messages read differently from one catalogue to another, yet the merged "
            "domain shows only one of them on every page. Same meaning: use the same words in every "
            'catalogue; different meaning: give the message a context, pgettext("transfer", "From").\n'
            + "\n".join(f"  {'' if context is None else context + ' | '}{msgid!r}: "
                        + ", ".join(f"{package} {string}" for package, string in by_package.items())
                        for (context, msgid), by_package in differing.items()), pytrace=False)


def test_host_labels_stored_in_english_have_catalogue_entries():
    """Permissions and built-in roles carry English text in code; zh_Hans finds it in the catalogue."""
    msgids = {msgid for _, msgid in contents(read_catalogue(HOST_TRANSLATIONS / "messages.pot"))}
    stored = [p.label for p in HOST_PERMISSIONS] + list(BUILTIN_ROLES) + list(BUILTIN_DESCRIPTIONS.values())
    assert [text for text in stored if text not in msgids] == []


def test_the_host_catalogue_is_merged_last_so_plugins_cannot_reword_the_shell(app):
    assert translation_directories(app.extensions["shopdesk"])[-1] == str(HOST_TRANSLATIONS)


# --- pages -------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees (and hears: placeholders, titles, labels), without code samples
    and data dumps (the audit log's changed fields and before/after values)."""

    HIDDEN = {"script", "style", "code", "pre", "summary"}
    SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label"}

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        attrs = dict(attrs)
        self.parts += [v for k, v in attrs.items() if k in self.SHOWN_ATTRIBUTES and v]
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """Visible text, whitespace collapsed; email addresses (data, never translated) left out."""
    parser = VisibleText()
    parser.feed(html)
    return " ".join(re.sub(r"\S+@\S+", " ", " ".join(parser.parts)).split())


def english_pattern(msgid: str) -> re.Pattern:
    """Where the English of ``msgid`` would show: tags dropped, placeholders matching anything."""
    text = " ".join(re.sub(r"<[^>]+>", " ", msgid).split())
    pieces = re.split(r"(%\(\w+\)[sd])", text)
    regex = "".join(".+?" if re.fullmatch(r"%\(\w+\)[sd]", p) else r"\s*".join(map(re.escape, p.split(" ")))
                    for p in pieces)
    return re.compile(r"(?<![A-Za-z0-9_])" + regex + r"(?![A-Za-z0-9_])")


HOST_MSGIDS = sorted({form for _, msgid in contents(read_catalogue(HOST_TRANSLATIONS / "messages.pot"))
                      for form in (msgid if isinstance(msgid, tuple) else [msgid])} - SAME_IN_EVERY_LANGUAGE)
HOST_PATTERNS = [(msgid, english_pattern(msgid)) for msgid in HOST_MSGIDS]


def untranslated(html: str, data=()) -> list[str]:
    """Host msgids whose English shows in ``html``, once the ``data`` strings (not ours to translate)
    are taken out."""
    text = visible_text(html)
    for value in sorted(filter(None, data), key=len, reverse=True):
        text = text.replace(" ".join(value.split()), " ")
    return [msgid for msgid, pattern in HOST_PATTERNS if pattern.search(text)]


def test_the_allow_list_stays_short():
    assert len(SAME_IN_EVERY_LANGUAGE) <= 6 and all(len(s) <= 10 for s in SAME_IN_EVERY_LANGUAGE)


def test_the_check_finds_english_where_it_is_left():
    assert untranslated("<p>No widgets yet: enable plugins on the <a href='/x'>Plugins</a> page.</p>") == \
        ["No widgets yet: enable plugins on the <a href=\"%(url)s\">Plugins</a> page.", "Plugins"]
    assert untranslated("<h1>Members of Acme Store</h1><code>Name</code>") == \
        ["Members", "Members of %(store)s"]
    assert untranslated("<p>Acme Store, 儀表板</p>") == []


@pytest.fixture
def shell_with_data(client, db, store):
    """A signed-in client whose pages have something in every table: a token used and one revoked."""
    client.post("/s/acme/tokens", data={"name": "scanner", "days": "30", "permissions": ["store.view"]})
    client.post("/s/acme/tokens", data={"name": "old", "days": "0", "permissions": ["store.view"]})
    with use_store(store):
        old = db.session.scalar(sa.select(ApiToken).filter_by(name="old"))
        old.revoked_at = old.last_used_at = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)
        db.session.commit()
    return client


def plugin_texts(app) -> list[str]:
    """What plugins say about themselves in English: a plugin without a catalogue shows it as is."""
    return [text for info in app.extensions["shopdesk"].plugins.values()
            for text in (info.label, info.description)]


def set_locale(db, user, locale):
    user.locale = locale
    db.session.commit()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_shell_has_no_english_left_for_a_user_who_chose_chinese(app, shell_with_data, db, user, locale):
    set_locale(db, user, locale)
    for url in SHELL_PAGES:
        page = shell_with_data.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert f'<html lang="{locale.replace("_", "-")}">' in html
        assert untranslated(html, plugin_texts(app)) == [], url


def test_the_browser_language_picks_traditional_chinese(app, shell_with_data):
    for url in SHELL_PAGES:
        page = shell_with_data.get(url, headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"})
        html = page.get_data(as_text=True)
        assert '<html lang="zh-Hant">' in html and untranslated(html, plugin_texts(app)) == [], url
    dashboard = shell_with_data.get("/s/acme/", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert ">儀表板</a>" in dashboard and ">登出</button>" in dashboard


def test_the_profile_language_wins_over_the_browser(client, db, user):
    set_locale(db, user, "zh_Hans")
    html = client.get("/s/acme/", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert ">仪表板</a>" in html and ">退出登录</button>" in html


def test_english_stays_english(client):
    html = client.get("/s/acme/", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert '<html lang="en">' in html and ">Dashboard</a>" in html and ">Sign out</button>" in html
    assert "Dashboard" in client.get("/s/acme/").get_data(as_text=True)  # no header: English
    assert {"Dashboard", "Sign out", "Members", "Plugins"} <= set(untranslated(html))  # the check sees it


def test_sign_in_page_follows_the_browser(app):
    html = app.test_client().get("/login", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert "<title>登入 · Shopdesk</title>" in html and "電子郵件" in html and "密碼" in html
    assert untranslated(html) == []


def test_users_choose_their_language_on_their_profile(client, db, user):
    saved = client.post("/account/profile", data={"name": "Owner", "locale": "zh_Hant"},
                        follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "個人資料已儲存。" in html and '<option value="zh_Hant" lang="zh-Hant" selected>繁體中文</option>' in html
    db.session.refresh(user)
    assert user.locale == "zh_Hant"
    assert client.post("/account/profile", data={"locale": "klingon"}).status_code == 400
    client.post("/account/profile", data={"name": "Owner", "locale": ""})
    db.session.refresh(user)
    assert user.locale is None  # the browser's language again
    assert ">Dashboard</a>" in client.get("/s/acme/").get_data(as_text=True)


def test_permission_labels_are_shown_in_the_readers_language(client, db, user):
    client.post("/s/acme/roles", data={"action": "create", "name": "packer", "permissions": ["store.view"]})
    set_locale(db, user, "zh_Hant")
    html = client.get("/s/acme/roles").get_data(as_text=True)
    assert "檢視商店與儀表板 <code>store.view</code>" in html and "閱讀商店筆記" in html
    assert "<strong>擁有者</strong>" in html and "<strong>packer</strong>" in html
    set_locale(db, user, "zh_Hans")
    html = client.get("/s/acme/roles").get_data(as_text=True)
    assert "查看店铺和仪表板 <code>store.view</code>" in html and "查看店铺笔记" in html
    set_locale(db, user, "en")
    html = client.get("/s/acme/roles").get_data(as_text=True)
    assert "See the store and its dashboard <code>store.view</code>" in html


def test_flash_messages_are_translated(client, db, user):
    set_locale(db, user, "zh_Hant")
    wrong = client.post("/account/password", data={"current": "nope", "new": "x" * 12, "confirm": "x" * 12})
    assert "目前密碼：密碼錯誤。" in wrong.get_data(as_text=True)
    short = client.post("/account/password",
                        data={"current": "correct horse battery", "new": "short", "confirm": "short"})
    assert "新密碼：至少需要 10 個字元" in short.get_data(as_text=True)


def test_error_pages_are_translated(client, db, user):
    set_locale(db, user, "zh_Hant")
    html = client.get("/s/acme/plugins/nothing-here/settings").get_data(as_text=True)
    assert "404 找不到頁面" in html and "返回 Shopdesk" in html


# --- a plugin's own catalogue ------------------------------------------------------------


def test_a_plugin_ships_its_own_catalogue(client, db, user):
    pytest.importorskip("shopdesk_store_notes")
    set_locale(db, user, "zh_Hant")
    dashboard = client.get("/s/acme/").get_data(as_text=True)
    assert re.search(r'<a class="nav-link" href="/s/acme/notes/"[^>]*>筆記</a>', dashboard)
    assert '<div class="card-header">釘選的筆記</div>' in dashboard and "沒有釘選的筆記。" in dashboard
    notes = client.get("/s/acme/notes/").get_data(as_text=True)
    assert "<title>筆記 · Acme Store</title>" in notes and "還沒有筆記。" in notes
    plugins = client.get("/s/acme/plugins").get_data(as_text=True)
    assert "<strong>商店筆記</strong>" in plugins
    set_locale(db, user, "zh_Hans")
    assert "<title>笔记 · Acme Store</title>" in client.get("/s/acme/notes/").get_data(as_text=True)


# --- formatting --------------------------------------------------------------------------


def render(app, template, language, store=None, **values):
    with app.app_context(), app.test_request_context(headers={"Accept-Language": language}):
        if store is not None:
            g.store = store
        return render_template_string(template, **values)


def test_money_is_formatted_for_the_reader(app):
    price = Money(129000, "TWD")
    assert render(app, "{{ p|money }}", "en", p=price) == "NT$1,290.00"
    assert render(app, "{{ p|money }}", "zh-TW", p=price) == "$1,290.00"  # at home in Taiwan
    assert render(app, "{{ p|money }}", "zh-CN", p=price) == "NT$1,290.00"
    assert render(app, "{{ p|money }}", "zh-TW", p=Money(1999, "USD")) == "US$19.99"


def test_dates_are_formatted_for_the_reader_in_the_stores_time_zone(app, db, store):
    evening = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)  # already 2 March in Taipei
    assert render(app, "{{ d|date }}", "en", d=evening) == "Mar 1, 2026"  # no store: UTC
    store.timezone = "Asia/Taipei"
    db.session.commit()
    assert render(app, "{{ d|date }}", "en", store, d=evening) == "Mar 2, 2026"
    assert render(app, "{{ d|date }}", "zh-TW", store, d=evening) == "2026年3月2日"
    assert render(app, "{{ d|datetime('short') }}", "zh-TW", store, d=evening) == "2026/3/2\u2009凌晨4:00"
    assert render(app, "{{ d|datetime('short') }}", "en", store, d=evening) == "3/2/26, 4:00\u202fAM"
    assert render(app, "{{ n|number }}", "en", n=1234567.5) == "1,234,567.5"
    assert render(app, "{{ none|date }}{{ none|money }}", "en", none=None) == ""


def test_token_dates_use_the_filters(shell_with_data, db, user):
    set_locale(db, user, "zh_Hant")
    html = shell_with_data.get("/s/acme/tokens").get_data(as_text=True)
    assert re.search(r"<td>2026/3/1\s晚上8:00</td>", html)  # last used, in UTC: the store has no other zone
    assert re.search(r"<td>\d{4}年\d{1,2}月\d{1,2}日</td>", html)  # expiry date
    assert "永不到期" in html and "從未使用" in html and "已撤銷" in html



