"""khabar: an Arabic-first engine that finds who copied what from whom in the news.

The Python API mirrors the CLI::

    import khabar
    result = khabar.scan(["articles.jsonl"], out="out/")   # khabar scan
    pair = khabar.compare("a.txt", "b.html")                # khabar compare --json
    text = khabar.clean("page.html")                        # khabar clean
    top = khabar.largest_stories("out/", top=10)            # khabar stories
    khabar.normalize("الأمِيرْكيّة").text                      # the normalizer, with its offset map
"""

from __future__ import annotations

__version__ = "0.1.0"

from khabar.api import clean, compare, read, scan  # noqa: E402
from khabar.article import Article, Segment  # noqa: E402
from khabar.normalize import normalize  # noqa: E402
from khabar.stories.show import largest_stories  # noqa: E402

__all__ = ["Article", "Segment", "__version__", "clean", "compare", "largest_stories", "normalize", "read", "scan"]
