"""An HTML page's structure for tests: its tags, ids, links, text and external references,
read with the standard library's parser (the HTML report's own output, or a browser's DOM)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    tags: Counter = field(default_factory=Counter)
    ids: list = field(default_factory=list)
    hrefs: list = field(default_factory=list)
    external: list = field(default_factory=list)   # src/href/url(...) that leave the page
    classes: Counter = field(default_factory=Counter)
    text: list = field(default_factory=list)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())

    def dangling(self) -> list[str]:
        """Every in-page link (#id) with no element of that id."""
        ids = set(self.ids)
        return [h for h in self.hrefs if h.startswith("#") and h[1:] not in ids]


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page

    def handle_starttag(self, tag, attrs):
        self.page.tags[tag] += 1
        for name, value in attrs:
            value = value or ""
            if name == "id":
                self.page.ids.append(value)
            elif name == "class":
                self.page.classes.update(value.split())
            elif name == "href":
                self.page.hrefs.append(value)
            if name in ("src", "href", "action", "srcset", "poster", "data") and \
                    not value.startswith("#"):
                self.page.external.append(value)
            if name == "style" and re.search(r"url\(|@import", value):
                self.page.external.append(value)

    def handle_data(self, data):
        self.page.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    reader = _Reader(page)
    reader.feed(html)
    reader.close()
    return page
