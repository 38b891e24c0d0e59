"""Languages: English, Traditional Chinese (zh_Hant) and Simplified Chinese (zh_Hans).

The locale comes from the user's profile, else the browser's Accept-Language. The host's
catalogue lives in ``shopdesk/translations``; a plugin ships its own ``translations``
folder beside its module and the host merges it in.

Templates get ``_()`` from Jinja's i18n extension and these filters, so that dates, numbers
and money read the way the reader expects: ``money`` (a :class:`~shopdesk.money.Money`),
``datetime`` and ``date`` (in the store's time zone, else UTC), ``number`` and
``permission_label``. ``html_lang`` is the BCP 47 tag for ``<html lang>``.
"""

from pathlib import Path

import pytz
from flask import current_app, g, has_request_context, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale, get_translations
from flask_login import current_user

LANGUAGES = ["en", "zh_Hant", "zh_Hans"]
# Each language named in itself (what a reader looks for in a language menu): never translated.
LANGUAGE_NAMES = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}
# The babel locale that formats money for each language: a territory picks the currency symbols.
FORMAT_LOCALES = {"en": "en_US", "zh_Hant": "zh_Hant_TW", "zh_Hans": "zh_Hans_CN"}
HTML_LANG = {"en": "en", "zh_Hant": "zh-Hant", "zh_Hans": "zh-Hans"}
HOST_TRANSLATIONS = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it now (it is translated where shown)."""
    return message


# The host's permission labels: Permission carries English and zh_Hant, these entries give
# zh_Hans its labels through the catalogue (tests/test_i18n.py keeps them in step).
HOST_PERMISSION_LABELS = [
    N_("See the store and its dashboard"),
    N_("Change the store's settings"),
    N_("Enable, disable and configure plugins"),
    N_("Add and remove members, change their roles"),
    N_("Create and edit custom roles"),
    N_("Read and export the audit log"),
    N_("Create API tokens"),
]
# The built-in roles (their names and descriptions are stored in English, see auth/roles.py).
BUILTIN_ROLE_NAMES = {"owner": N_("owner"), "manager": N_("manager"), "operator": N_("operator"),
                      "viewer": N_("viewer")}
BUILTIN_ROLE_DESCRIPTIONS = [
    N_("Everything, including members, roles and plugins."),
    N_("Runs the store day to day; cannot change members, roles or plugins."),
    N_("Does the daily work: reads and handles records."),
    N_("Reads only."),
]
# Names of the HTTP errors the error page shows, and WTForms' message for an empty field.
OTHER_MESSAGES = [
    N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
    N_("Request Entity Too Large"), N_("Too Many Requests"), N_("Internal Server Error"),
    N_("This field is required."),
]


def select_locale():
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    best = request.accept_languages.best_match(["en", "zh-Hant", "zh-TW", "zh-HK", "zh-Hans", "zh-CN", "zh"])
    return {"zh-Hant": "zh_Hant", "zh-TW": "zh_Hant", "zh-HK": "zh_Hant",
            "zh-Hans": "zh_Hans", "zh-CN": "zh_Hans", "zh": "zh_Hans"}.get(best, "en")


def select_timezone():
    """The store's time zone on store pages, else UTC: staff read times as the store lives them."""
    zone = getattr(g.get("store"), "timezone", None) if has_request_context() else None
    return zone if zone in pytz.all_timezones_set else "UTC"


def translation_directories(registry) -> list[str]:
    """Each working plugin's catalogue folder, then the host's: merged in this order, so the host's
    own entries win and no plugin can change what the shell says."""
    dirs = []
    for info in registry.plugins.values():
        if info.obj is not None and info.error is None:
            module = __import__(info.package)
            folder = Path(module.__file__).parent / "translations"
            if folder.is_dir():
                dirs.append(str(folder))
    return dirs + [str(HOST_TRANSLATIONS)]


def init_i18n(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(app.extensions["shopdesk"]))
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(money=format_money, datetime=format_datetime_filter, date=format_date_filter,
                                 number=format_number, permission_label=permission_label,
                                 role_name=role_name, role_description=role_description, translate=translate)
    app.context_processor(lambda: {"html_lang": HTML_LANG.get(current_locale(), "en"),
                                   "language_names": LANGUAGE_NAMES})


def current_locale() -> str:
    """The reader's language: ``en``, ``zh_Hant`` or ``zh_Hans``."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def format_locale() -> str:
    """The babel locale (with territory) for money in the current language: en_US, zh_Hant_TW..."""
    return FORMAT_LOCALES.get(current_locale(), "en_US")


def format_money(value) -> str:
    """``{{ order.total|money }}``: Money(129000, "TWD") is NT$1,290.00 in English, $1,290.00 in zh_Hant."""
    return "" if value is None else value.format(format_locale())


def format_datetime_filter(value, format=None) -> str:
    """``{{ token.last_used_at|datetime }}``: in the store's time zone, the reader's language."""
    return "" if value is None else format_datetime(value, format)


def format_date_filter(value, format=None) -> str:
    return "" if value is None else format_date(value, format)


def format_number(value, format=None) -> str:
    return "" if value is None else format_decimal(value, format)


def permission_label(permission) -> str:
    """A permission's label in the reader's language: its own zh_Hant label, else the catalogue's."""
    locale = current_locale()
    if locale == "zh_Hant" and permission.label_zh_hant:
        return permission.label_zh_hant
    return permission.label if locale == "en" else translate(permission.label)


def translate(text) -> str:
    """``{{ plugin.label|translate }}``: text marked with N_ elsewhere, looked up in the merged catalogues.

    Unlike ``_()`` it never %-formats, so data with a percent sign is safe; empty stays empty.
    """
    return get_translations().ugettext(str(text)) if text else (text or "")


def role_name(role) -> str:
    """A built-in role's name in the reader's language; a custom role's name as its creator wrote it."""
    return translate(BUILTIN_ROLE_NAMES[role.builtin]) if role.builtin in BUILTIN_ROLE_NAMES else role.name


def role_description(role) -> str:
    return translate(role.description) if role.builtin else role.description
