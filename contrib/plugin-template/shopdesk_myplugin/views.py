"""The plugin's pages: mounted by the host under /s/<store>/myplugin/."""

from flask import Blueprint, g, render_template

bp = Blueprint("myplugin", __name__, url_prefix="/myplugin", template_folder="templates")


@bp.route("/")
def index():
    settings = g.hooks.context("myplugin").settings
    return render_template("myplugin/index.html", greeting=settings["greeting"])
