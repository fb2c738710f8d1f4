"""The public site: MkDocs hooks, page generators, charts, open data.

``hooks.py`` is the MkDocs hooks module named in ``mkdocs.yml``; everything
else is plain Python that the hooks call. Pages are generated at build time
from the checked content, never committed as Markdown.
"""
