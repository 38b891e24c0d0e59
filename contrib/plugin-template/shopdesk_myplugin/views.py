"""The plugin's pages: mounted by the host under /s/<store>/myplugin/."""

from flask import Blueprint, g, render_template

from shopdesk.auth.permissions import requires

bp = Blueprint("myplugin", __name__, url_prefix="/myplugin", template_folder="templates")


@bp.route("/")
@requires("myplugin.read")
def index():
    settings = g.hooks.context("myplugin").settings
    return render_template("myplugin/index.html", greeting=settings["greeting"])
