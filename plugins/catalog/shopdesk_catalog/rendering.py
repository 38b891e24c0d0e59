"""Product descriptions: Markdown in, safe HTML out.

Staff write descriptions in Markdown (raw HTML allowed, as in CommonMark); what is shown is
rendered by markdown-it-py and then cleaned by nh3, so a pasted ``<script>`` or an
``onerror=`` attribute never reaches a reader's browser.
"""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def description_html(markdown: str | None) -> str:
    if not markdown:
        return ""
    return nh3.clean(_markdown.render(markdown))
