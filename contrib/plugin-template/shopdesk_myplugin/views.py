"""The plugin's pages: mounted by the host under /s/<store>/myplugin/."""

from flask import Blueprint, render_template

from shopdesk.plugin import plugin_settings, requires

bp = Blueprint("myplugin", __name__, url_prefix="/myplugin", template_folder="templates")


@bp.route("/")
@requires("myplugin.read")
def index():
    return render_template("myplugin/index.html", greeting=plugin_settings("myplugin")["greeting"])
