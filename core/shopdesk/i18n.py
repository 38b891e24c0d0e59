"""Languages: English, Traditional Chinese (zh_Hant) and Simplified Chinese (zh_Hans).

The locale comes from the user's profile, else the browser's Accept-Language. The host's
catalogue lives in ``shopdesk/translations``; a plugin ships its own ``translations``
folder beside its module and the host merges it in.
"""

from pathlib import Path

from flask import current_app, request
from flask_babel import Babel
from flask_login import current_user

LANGUAGES = ["en", "zh_Hant", "zh_Hans"]
HOST_TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale():
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    best = request.accept_languages.best_match(["en", "zh-Hant", "zh-TW", "zh-HK", "zh-Hans", "zh-CN", "zh"])
    return {"zh-Hant": "zh_Hant", "zh-TW": "zh_Hant", "zh-HK": "zh_Hant",
            "zh-Hans": "zh_Hans", "zh-CN": "zh_Hans", "zh": "zh_Hans"}.get(best, "en")


def translation_directories(registry) -> list[str]:
    dirs = [str(HOST_TRANSLATIONS)]
    for info in registry.plugins.values():
        if info.obj is not None and info.error is None:
            module = __import__(info.package)
            folder = Path(module.__file__).parent / "translations"
            if folder.is_dir():
                dirs.append(str(folder))
    return dirs


def init_i18n(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(app.extensions["shopdesk"]))
    Babel(app, locale_selector=select_locale)


def current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
