"""Human-readable pages at a dataset's web URL (`/datasets/<ns>/<name>[/tree/<rev>]`), so the links a pipeline
records open in a browser: the card rendered, the files with their sizes, the card's tags and the repo's git tags.

Everything taken from the repo is escaped; the card is rendered by markdown-it with raw HTML off (its default
link validation drops `javascript:` URLs), and the page's Content-Security-Policy allows no scripts at all."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from markdown_it import MarkdownIt

from .cards import InvalidCardMetadata, card_metadata, card_tags, card_text
from .context import HubContext, Route, decoded
from .errors import HubError
from .store import DEFAULT_BRANCH, Commit, RepoKey
from .transport import Request, Response

# "js-default": CommonMark plus tables (cards list their files in one), raw HTML off.
_MARKDOWN = MarkdownIt("js-default")
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
td.size { text-align: right; white-space: nowrap; } code, pre { background: #f4f4f4; }
pre { padding: .5rem; overflow-x: auto; } .tag { display: inline-block; background: #eef; border-radius: .25rem;
padding: 0 .4rem; margin: 0 .25rem .25rem 0; } .card { border-top: 1px solid #ccc; margin-top: 1.5rem; }
"""


def dataset_page(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    try:
        repo = hub.readable_repo(request, params)
        revision = decoded(params, "revision", DEFAULT_BRANCH)
        commit = hub.store.resolve(repo, revision)
        body = _page_body(hub, repo, revision, commit)
        title = repo.repo_id
        status = 200
    except HubError as error:  # a browser gets a page too, with the API's status and reason
        repo_id = f"{params.get('namespace', '')}/{params.get('name', '')}"
        title, status = repo_id, error.status
        body = f"<h1>{escape(repo_id)}</h1>\n<p>{escape(error.message)}</p>"
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": _CSP}
    return Response(status, headers, page.encode())


def _page_body(hub: HubContext, repo: RepoKey, revision: str, commit: Commit) -> str:
    readme = _readme_text(hub, commit)
    try:
        metadata = card_metadata(readme) if readme else None
    except InvalidCardMetadata:
        metadata = None  # the card text still renders; the Hub shows such a repo too
    base = f"/datasets/{quote(repo.repo_id)}"
    pretty_name = (metadata or {}).get("pretty_name")
    parts = [f"<h1>{escape(repo.repo_id)}</h1>"]
    if isinstance(pretty_name, str) and pretty_name:
        parts.append(f"<p><strong>{escape(pretty_name)}</strong></p>")
    parts.append(f"<p>Revision <code>{escape(revision)}</code>, commit <code>{escape(commit.oid)}</code>, "
                 f"{escape(commit.created_at)}</p>")
    tags = card_tags(metadata)
    parts.append("<h2>Tags</h2>\n" + (" ".join(f'<span class="tag">{escape(tag)}</span>' for tag in tags)
                                      if tags else "<p>None.</p>"))
    parts.append(_git_refs(hub, repo, base))
    parts.append(_files(base, revision, commit))
    card_body = card_text(readme) if readme else ""
    parts.append('<div class="card">\n' + (_MARKDOWN.render(card_body) if card_body.strip()
                                           else "<p>This dataset has no card (README.md).</p>") + "</div>")
    return "\n".join(parts)


def _readme_text(hub: HubContext, commit: Commit) -> str | None:
    entry = commit.tree.get("README.md")
    if entry is None:
        return None
    return hub.store.blobs.path(entry.sha256).read_text(encoding="utf-8", errors="replace")


def _git_refs(hub: HubContext, repo: RepoKey, base: str) -> str:
    refs = hub.store.refs(repo)
    items = [f'<li>{kind} <a href="{base}/tree/{_segment(name)}">{escape(name)}</a> '
             f"<code>{escape(oid[:12])}</code></li>"
             for kind, key in (("branch", "branches"), ("tag", "tags")) for name, oid in sorted(refs[key].items())]
    return "<h2>Revisions</h2>\n<ul>\n" + "\n".join(items) + "\n</ul>"


def _files(base: str, revision: str, commit: Commit) -> str:
    rows = [f'<tr><td><a href="{base}/resolve/{_segment(revision)}/{quote(path)}">{escape(path)}</a></td>'
            f'<td class="size" title="{entry.size} bytes">{_human(entry.size)}</td></tr>'
            for path, entry in sorted(commit.tree.items())]
    total = sum(entry.size for entry in commit.tree.values())
    return (f"<h2>Files</h2>\n<p>{len(rows)} files, {_human(total)}</p>\n"
            "<table><thead><tr><th>Path</th><th>Size</th></tr></thead><tbody>\n" + "\n".join(rows)
            + "\n</tbody></table>")


def _human(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value, unit = size / 1000, "kB"
    for larger in ("MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, larger
    return f"{value:.1f} {unit}"


def _segment(text: str) -> str:
    """One URL path segment: a revision such as `refs/pr/1` keeps its slashes encoded."""
    return quote(text, safe="")


ROUTES = [
    Route(("GET", "HEAD"), r"/(?P<type>datasets)/(?P<namespace>[^/]+)/(?P<name>[^/]+)", dataset_page),
    Route(("GET", "HEAD"), r"/(?P<type>datasets)/(?P<namespace>[^/]+)/(?P<name>[^/]+)/tree/(?P<revision>[^/]+)",
          dataset_page),
]
