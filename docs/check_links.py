"""Check the internal links of the built HTML documentation.

Every ``href`` and ``src`` of every page under the build folder that is not an external
URL must name an existing file, and its ``#fragment``, if any, an ``id`` (or ``name``) on
that page. External links (``http:``, ``https:``, ``mailto:`` ...) are not fetched.

    python docs/check_links.py [docs/_build/html]

Exits 1 and lists every broken link when there is one.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append(attrs[key])


@lru_cache(maxsize=None)
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def broken_links(root: Path) -> list[str]:
    root = root.resolve()
    broken = []
    for page_path in sorted(root.rglob("*.html")):
        for link in _parse(page_path).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue  # external, or data:/mailto:/javascript:
            target = page_path if not parts.path else (page_path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page_path.relative_to(root)}: {link}"
            if not target.is_file():
                broken.append(f"{where} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
                broken.append(f"{where} (no anchor #{fragment})")
    return broken


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else Path(__file__).parent / "_build" / "html")
    if not (root / "index.html").is_file():
        print(f"{root} holds no built documentation (no index.html)", file=sys.stderr)
        return 2
    broken = broken_links(root)
    pages = sum(1 for _ in root.rglob("*.html"))
    for line in broken:
        print(line)
    print(f"{pages} pages, {len(broken)} broken internal links")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
