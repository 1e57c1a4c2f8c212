"""A loopback Hugging Face Hub for tests: the endpoints ``huggingface_hub`` calls.

    with HubServer() as hub:
        hub.add_repo("org/name", folder)          # a commit of every file in folder
        env = hub.env(cache)                      # HF_ENDPOINT=http://127.0.0.1:port, ...

Serves, on 127.0.0.1 only: ``GET /api/models/{repo}[/revision/{rev}]`` (repo
info; 404 ``RepoNotFound``), ``GET /api/models/{repo}/tree/{rev}`` (the file
listing), ``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` (file metadata and
bytes), ``POST /api/repos/create``, ``POST /api/validate-yaml`` (always valid),
``POST /api/models/{repo}/preupload/{rev}`` (every file "regular") and
``POST /api/models/{repo}/commit/{rev}`` (NDJSON, base64 contents). Not served:
LFS and Xet transfers (uploads are all sent inline, downloads are plain HTTP),
pagination of tree listings, and anything else (answered 404 and recorded in
``unknown``). ``requests`` records every (method, path) for assertions; repos
made ``private`` need their token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class _Repo:
    def __init__(self, private: bool, token: str | None) -> None:
        self.commits: list[tuple[str, dict[str, bytes]]] = []  # (sha, files), oldest first
        self.refs: dict[str, str] = {}
        self.private = private
        self.token = token

    def commit(self, files: dict[str, bytes], branch: str = "main") -> str:
        base = dict(self.commits[-1][1]) if self.commits else {}
        base.update(files)
        digest = hashlib.sha1(json.dumps(sorted(base)).encode() + b"".join(base.values()))
        sha = hashlib.sha1(digest.digest() + str(len(self.commits)).encode()).hexdigest()
        self.commits.append((sha, base))
        self.refs[branch] = sha
        return sha

    def resolve(self, rev: str) -> tuple[str, dict[str, bytes]] | None:
        sha = self.refs.get(rev, rev)
        for commit_sha, files in self.commits:
            if commit_sha == sha:
                return commit_sha, files
        return None


class HubServer:
    """The loopback hub; a context manager serving on a free port."""

    def __init__(self) -> None:
        self.repos: dict[str, _Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self.unknown: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_repo(
        self,
        repo_id: str,
        folder: Path | None = None,
        *,
        extra: dict[str, bytes] | None = None,
        private: bool = False,
        token: str | None = None,
        branch: str = "main",
    ) -> str:
        """Commit every file of ``folder`` (and ``extra``) to ``repo_id``; returns the sha."""
        repo = self.repos.setdefault(repo_id, _Repo(private, token))
        files = {}
        if folder is not None:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    files[path.relative_to(folder).as_posix()] = path.read_bytes()
        files.update(extra or {})
        return repo.commit(files, branch)

    def files(self, repo_id: str, rev: str = "main") -> dict[str, bytes]:
        found = self.repos[repo_id].resolve(rev)
        assert found is not None
        return found[1]

    def env(self, cache: Path) -> dict[str, str]:
        """Environment for a subprocess using this hub and the cache ``cache``."""
        return {
            "HF_ENDPOINT": self.url,
            "HF_HUB_CACHE": str(cache),
            "HF_HOME": str(cache.parent / "hf_home"),
            "HF_HUB_OFFLINE": "0",
            "HF_HUB_DISABLE_XET": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def downloaded(self) -> set[str]:
        """Paths whose bytes were fetched (GET .../resolve/...)."""
        out = set()
        for method, path in self.requests:
            if method == "GET" and "/resolve/" in path:
                out.add(path.split("/resolve/", 1)[1].split("/", 1)[1])
        return out

    # -- the HTTP side ---------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                hub._serve(self, "HEAD")

            def do_GET(self) -> None:  # noqa: N802
                hub._serve(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                hub._serve(self, "POST")

        return Handler

    def _reply(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes | Any = b"",
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        h.send_response(status)
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _not_found(self, h: BaseHTTPRequestHandler, code: str, head: bool = False) -> None:
        self._reply(h, 404, {"error": code}, {"X-Error-Code": code, "X-Error-Message": code}, head)

    def _authorised(self, h: BaseHTTPRequestHandler, repo: _Repo) -> bool:
        if not repo.private:
            return True
        return h.headers.get("Authorization") == f"Bearer {repo.token}"

    def _split_repo(self, rest: str) -> tuple[str, str]:
        """'org/name/xyz...' -> ('org/name', 'xyz...') for a known repo."""
        parts = rest.split("/")
        for n in (2, 1):
            repo_id = "/".join(parts[:n])
            if repo_id in self.repos:
                return repo_id, "/".join(parts[n:])
        return "/".join(parts[:2]), "/".join(parts[2:])

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = unquote(urlsplit(h.path).path)
        self.requests.append((method, path))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if path.startswith("/api/models/"):
            self._api(h, method, path[len("/api/models/") :], body)
        elif path == "/api/repos/create" and method == "POST":
            request = json.loads(body or b"{}")
            name = request.get("name")
            repo_id = f"{request['organization']}/{name}" if request.get("organization") else name
            # Older clients send "private", newer ones "visibility".
            private = bool(request.get("private")) or request.get("visibility") == "private"
            auth = h.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            self.repos.setdefault(repo_id, _Repo(private, token))
            self._reply(h, 200, {"url": f"{self.url}/{repo_id}", "name": repo_id})
        elif path == "/api/validate-yaml" and method == "POST":
            self._reply(h, 200, {"errors": [], "warnings": []})
        elif "/resolve/" in path:
            self._resolve(h, method, path.lstrip("/"))
        else:
            self.unknown.append((method, path))
            self._not_found(h, "EntryNotFound", method == "HEAD")

    def _api(self, h: BaseHTTPRequestHandler, method: str, rest: str, body: bytes) -> None:
        repo_id, tail = self._split_repo(rest)
        repo = self.repos.get(repo_id)
        if repo is None or not self._authorised(h, repo):
            self._not_found(h, "RepoNotFound")
            return
        action, _, rev = tail.partition("/")
        rev = rev or "main"
        if method == "POST" and action == "preupload":
            files = json.loads(body)["files"]
            modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                     for f in files]  # fmt: skip
            self._reply(h, 200, {"files": modes, "commitOid": repo.refs.get(rev)})
            return
        if method == "POST" and action == "commit":
            files = {}
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item.get("key") == "file":
                    value = item["value"]
                    files[value["path"]] = base64.b64decode(value["content"])
            sha = repo.commit(files, rev)
            url = f"{self.url}/{repo_id}/commit/{sha}"
            self._reply(h, 200, {"commitUrl": url, "commitOid": sha, "success": True})
            return
        if action in ("", "revision", "tree") and method == "GET":
            found = repo.resolve(rev if action else "main")
            if found is None:
                self._reply(h, 404, {"error": "Revision Not Found"},
                            {"X-Error-Code": "RevisionNotFound"})  # fmt: skip
                return
            sha, files = found
            if action == "tree":
                entries = [{"type": "file", "oid": hashlib.sha1(data).hexdigest(),
                            "size": len(data), "path": name}
                           for name, data in sorted(files.items())]  # fmt: skip
                self._reply(h, 200, entries)
                return
            siblings = [{"rfilename": name} for name in sorted(files)]
            info = {"id": repo_id, "modelId": repo_id, "sha": sha, "private": repo.private,
                    "siblings": siblings, "tags": [], "downloads": 0, "likes": 0}  # fmt: skip
            self._reply(h, 200, info)
            return
        self.unknown.append((method, "/api/models/" + rest))
        self._not_found(h, "EntryNotFound")

    def _resolve(self, h: BaseHTTPRequestHandler, method: str, rest: str) -> None:
        repo_part, _, tail = rest.partition("/resolve/")
        repo = self.repos.get(repo_part)
        head = method == "HEAD"
        if repo is None or not self._authorised(h, repo):
            self._not_found(h, "RepoNotFound", head)
            return
        rev, _, name = tail.partition("/")
        found = repo.resolve(rev)
        if found is None:
            self._not_found(h, "RevisionNotFound", head)
            return
        sha, files = found
        if name not in files:
            self._not_found(h, "EntryNotFound", head)
            return
        data = files[name]
        etag = f'"{hashlib.sha1(data).hexdigest()}"'
        headers = {"X-Repo-Commit": sha, "ETag": etag, "Content-Type": "application/octet-stream"}
        self._reply(h, 200, data, headers, head)
