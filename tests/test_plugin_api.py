"""shopdesk.plugin is the plugin author's whole view of the host: every name is described."""

from pathlib import Path

import pytest

from shopdesk import plugin, reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugin-api.md"


@pytest.mark.parametrize("name", plugin.__all__)
def test_every_exported_name_has_a_description_of_its_own(name):
    assert hasattr(plugin, name), f"shopdesk.plugin.__all__ lists {name}, which it does not define"
    assert reference.describe(name, getattr(plugin, name)), (
        f"shopdesk.plugin.{name} has no docstring of its own: write one (or a line in reference.DESCRIPTIONS "
        "for a third party's object)")


def test_the_reference_page_is_current():
    assert DOCS.read_text(encoding="utf-8") == reference.markdown(), "run `shopdesk docs plugin-api`"


def test_nothing_public_is_left_out_of_all():
    defined = {n for n in vars(plugin) if n.isidentifier() and not n.startswith("_") and n not in
               {"current_app", "g", "has_request_context"}}
    assert defined == set(plugin.__all__)
