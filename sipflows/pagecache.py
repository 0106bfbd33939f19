"""Pages rendered once per version and language, then served from the cache framework.

A step, a flow's overview, /notes/, / and a live walkthrough's follow page look the same to
every anonymous reader in a language until what they show changes. Such a page is rendered
once (by the view, as ever), kept gzipped in the `pages` cache under a key that holds its
version, and served from there: by PageCacheMiddleware inside Django, and, for readers
without a session, by `serve_cached` in front of Django (asgi.py), which costs less than
Django's own request handling. Signed-in readers (their name, the instructor's controls)
get pages rendered for them, never stored.

The one per-reader bit of an anonymous page is the CSRF token of its forms (the language
switch). The kept page has a slot for it, filled for each response: the token goes in as a
stored deflate block between the page's compressed parts, so nothing is compressed per request.

Versions: `flow_version` and `library_version` (and `live_version`, a session's position on
top of its flow's) say what a page is kept under; they read the database. So that a kept page
is found without a query, the version is remembered in the cache under a generation token, which
every committed write to the library or to a session replaces (signals at the end of this
module). A generation is kept in the `versions` cache, which every process of the site shares
(a file by default, Redis when REDIS_URL is set), so a write made by any process (an editor,
`import_flows` in a shell) is seen by all the others at once.
"""

import collections
import functools
import hashlib
import secrets
import struct
import threading
import zlib
from dataclasses import dataclass
from email.utils import format_datetime

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CsrfViewMiddleware,
    get_token,
)
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.http import parse_http_date_safe

from .models import Flow, LiveSession, Note, Participant, Step

PAGE_LIFETIME = 24 * 3600  # seconds; a newer version has a new key, old ones just expire
TOKEN_SLOT = b'name="csrfmiddlewaretoken" value="'
TOKEN_LENGTH = 64
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# Headers a response gets for itself; the rest of the first response's headers are replayed.
PER_RESPONSE = {"content-length", "content-encoding", "etag", "last-modified", "vary"}
PER_RESPONSE |= {"cache-control", "expires", "set-cookie", "date", "server"}
VARY = "Accept-Encoding, Accept-Language, Cookie"


# What a page is kept under. Each reads the database; the page cache remembers the answer.


def flow_version(slug: str) -> str | None:
    """The version of the flow with this slug (None when there is none): its current revision."""
    version = (
        Flow.objects.filter(slug=slug, is_deleted=False).values_list("version", flat=True).first()
    )
    return None if version is None else f"r{version}"


def library_version() -> str:
    """The version of the whole library: changes with any flow saved, added or removed."""
    library = Flow.objects.filter(is_deleted=False).aggregate(
        latest=Max("updated_at"), count=Count("pk")
    )
    latest = library["latest"].isoformat() if library["latest"] else "empty"
    return f"{library['count']}-{latest}"


def live_version(code: str) -> str | None:
    """A live walkthrough's position (its sequence number) on the revision it is pinned to."""
    session = LiveSession.objects.filter(code=code).values_list("seq", "revision_id").first()
    return None if session is None else f"{session[0]}-{session[1]}"


@dataclass(frozen=True)
class Source:
    """What a kind of page shows, named from the URL's arguments, and how to get its version."""

    kind: str  # "flow", "library" or "live"

    def subject(self, kwargs: dict) -> str:
        if self.kind == "flow":
            return f"flow:{kwargs['slug']}"
        if self.kind == "live":
            return f"live:{kwargs['code'].upper()}"
        return "library"

    def generations(self, kwargs: dict) -> tuple[str, ...]:
        return ("library", self.subject(kwargs)) if self.kind == "live" else ("library",)

    def read_version(self, kwargs: dict) -> str | None:
        if self.kind == "flow":
            return flow_version(kwargs["slug"])
        if self.kind == "live":
            return live_version(kwargs["code"].upper())
        return library_version()


FLOW, LIBRARY, LIVE = Source("flow"), Source("library"), Source("live")


def cached_page(source: Source):
    """Mark a view whose page every anonymous reader sees the same, for `source`'s version."""

    def decorate(view):
        view.page_source = source
        return view

    return decorate


# Generations and remembered versions.


# Writes made by this process, committed or not, by what they wrote to.
_local_generations: collections.Counter[str] = collections.Counter()
_local_lock = threading.Lock()


def _cache(alias: str):
    """One backend object per process: `caches[alias]` makes one per async task, and so
    one per request in front of Django. (The local-memory, file and Redis backends are
    safe to share between threads.)"""
    backend = _backends.get(alias)
    if backend is None:
        backend = _backends[alias] = caches.create_connection(alias)
    return backend


_backends: dict[str, object] = {}


@receiver(setting_changed)
def _caches_changed(*, setting, **kwargs) -> None:
    if setting == "CACHES":
        _backends.clear()
        _copies.clear()


def _generation(name: str) -> str:
    versions = _cache("versions")
    token = versions.get(f"gen:{name}")
    if token is None:
        versions.add(f"gen:{name}", secrets.token_hex(8), None)
        token = versions.get(f"gen:{name}")
    return f"{token}.{_local_generations[name]}"


def _new_generation(name: str) -> None:
    _cache("versions").set(f"gen:{name}", secrets.token_hex(8), None)


def _version_key(source: Source, kwargs: dict) -> str:
    generations = ".".join(_generation(name) for name in source.generations(kwargs))
    return f"version:{generations}:{source.subject(kwargs)}"


def known_version(source: Source, kwargs: dict) -> str | None:
    """The page's version if it is remembered (no query); None if not (or no such thing)."""
    return _kept(_version_key(source, kwargs)) or None


def current_version(source: Source, kwargs: dict) -> str | None:
    """The page's version, read from the database unless it is remembered."""
    key = _version_key(source, kwargs)
    version = _kept(key)
    if version is None:
        version = source.read_version(kwargs) or ""
        _keep(key, version)
    return version or None


# The pages cache, with this process's own copies of what it found there in front: every key
# names a version, so a copy is never out of date, and it costs no unpickling.
_copies: dict[str, object] = {}
COPIES_KEPT = 512


def _kept(key: str):
    value = _copies.get(key)
    if value is None:
        value = _cache("pages").get(key)
        if value is not None:
            _copy(key, value)
    return value


def _keep(key: str, value) -> None:
    _cache("pages").set(key, value, PAGE_LIFETIME)
    _copy(key, value)


def _copy(key: str, value) -> None:
    if len(_copies) >= COPIES_KEPT:
        _copies.clear()
    _copies[key] = value


def forget_pages() -> None:
    """Drop every kept page and version (tests start afresh with it)."""
    _cache("pages").clear()
    _copies.clear()


def page_key(url_name: str, *, path: str, language: str, htmx: bool, version: str):
    """Where a page is kept: its view, path, language, whole page or htmx frame, version."""
    parts = (url_name, path, language, "frame" if htmx else "page", version)
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


# Kept pages.


@dataclass(frozen=True)
class KeptPage:
    """A page's bytes around its CSRF token slots, each part gzip-ready, and its headers."""

    parts: tuple[bytes, ...]  # the page between its token values
    deflated: tuple[bytes, ...]  # each part as raw deflate; all but the last end on a flush
    headers: tuple[tuple[bytes, bytes], ...]  # as ASGI sends them, validators included
    etag_base: str
    last_modified: str

    @classmethod
    def from_html(cls, html: bytes, headers, key: str) -> "KeptPage":
        parts = _split_at_tokens(html)
        deflated = tuple(
            _deflate(part, last=index == len(parts) - 1) for index, part in enumerate(parts)
        )
        last_modified = format_datetime(timezone.now(), usegmt=True)
        validators = [
            ("Last-Modified", last_modified),
            ("Vary", VARY),
            # The page holds the reader's token: no shared cache keeps it; browsers ask again.
            ("Cache-Control", "private, no-cache"),
        ]
        return cls(
            parts=tuple(parts),
            deflated=deflated,
            headers=tuple(
                (name.lower().encode(), value.encode("latin-1"))
                for name, value in [*headers, *validators]
            ),
            etag_base=key[5:21],
            last_modified=last_modified,
        )

    def etag(self, secret: str) -> str:
        """Weak: the bytes differ by the masked token. The reader's CSRF secret is part of it
        (a 48-bit digest of 190 random bits, which the reader holds anyway), so a browser's
        copy is reused only with a token its cookie still accepts."""
        digest = hashlib.blake2b(secret.encode(), digest_size=6).hexdigest()
        return f'W/"{self.etag_base}-{digest}"'

    def body(self, token: str, *, gzipped: bool) -> bytes:
        filler = token.encode()
        raw = filler.join(self.parts)
        if not gzipped:
            return raw
        # The token goes in uncompressed, as a deflate block of its own ("stored", RFC 1951).
        stored = b"\x00" + struct.pack("<HH", len(filler), len(filler) ^ 0xFFFF) + filler
        trailer = struct.pack("<II", zlib.crc32(raw), len(raw) & 0xFFFFFFFF)
        return GZIP_HEADER + stored.join(self.deflated) + trailer


def _split_at_tokens(html: bytes) -> list[bytes]:
    """The page around each CSRF token value (our own forms' hidden inputs)."""
    parts, start = [], 0
    while (slot := html.find(TOKEN_SLOT, start)) != -1:
        value = slot + len(TOKEN_SLOT)
        parts.append(html[start:value])
        start = value + TOKEN_LENGTH
    parts.append(html[start:])
    return parts


def _deflate(part: bytes, *, last: bool) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(part) + compressor.flush(
        zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    )


def _accepts_gzip(accept_encoding: str) -> bool:
    for coding in accept_encoding.split(","):
        name, _, quality = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            return quality.strip().replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _answer(page: KeptPage, meta: dict, *, secret: str, token: str, head: bool):
    """(status, headers, body) for this reader, as ASGI sends them: 304 when their copy is
    current."""
    etag = page.etag(secret)
    if _is_current(meta, etag=etag, last_modified=page.last_modified):
        return 304, [(b"etag", etag.encode()), *page.headers], b""
    gzipped = _accepts_gzip(meta.get("HTTP_ACCEPT_ENCODING", ""))
    body = page.body(token, gzipped=gzipped)
    headers = [*page.headers, (b"etag", etag.encode())]
    if gzipped:
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    return 200, headers, b"" if head else body


def _is_current(meta: dict, *, etag: str, last_modified: str) -> bool:
    if_none_match = meta.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:  # it decides when present (RFC 9110, 13.2.2)
        return etag in (tag.strip() for tag in if_none_match.split(","))
    since = meta.get("HTTP_IF_MODIFIED_SINCE")
    if since is None:
        return False
    since_time = parse_http_date_safe(since)
    return since_time is not None and since_time >= parse_http_date_safe(last_modified)


# Inside Django: serve what is kept, keep what every anonymous reader would see.


class PageCacheMiddleware:
    """Put it first (inside GZipMiddleware): it keeps responses with the headers the rest of
    the stack gave them, and serves kept pages without calling the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "page_key", None)
        if key and _storable(request, response):
            headers = [(k, v) for k, v in response.items() if k.lower() not in PER_RESPONSE]
            page = KeptPage.from_html(response.content, headers, key)
            _keep(key, page)
            get_token(request)  # the secret the page's token was made from
            response.headers["ETag"] = page.etag(request.META["CSRF_COOKIE"])
            for name, value in page.headers[len(headers) :]:
                response.headers[name.decode()] = value.decode("latin-1")
        return response

    def process_view(self, request, view, args, kwargs):
        source = getattr(view, "page_source", None)
        if source is None or request.method not in ("GET", "HEAD") or request.GET:
            return None
        if request.user.is_authenticated:
            return None
        version = current_version(source, kwargs)
        if version is None:
            return None
        request.page_key = page_key(
            request.resolver_match.url_name,
            path=request.path,
            language=translation.get_language(),
            htmx=bool(request.headers.get("HX-Request")),
            version=version,
        )
        page = _kept(request.page_key)
        if page is None:
            return None
        request.page_key = None  # kept already
        token = get_token(request)
        status, headers, body = _answer(
            page,
            request.META,
            secret=request.META["CSRF_COOKIE"],
            token=token,
            head=request.method == "HEAD",
        )
        response = HttpResponse(body, status=status)
        for name, value in headers:
            response.headers[name.decode()] = value.decode("latin-1")
        return response


def _storable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not request.user.is_authenticated
        and response.get("Content-Type", "").startswith("text/html")
        and not response.has_header("Content-Encoding")
        and set(response.cookies) <= {settings.CSRF_COOKIE_NAME}
    )


# In front of Django: kept pages for readers without a session, with no query and no thread.

_csrf = CsrfViewMiddleware(lambda request: None)


def serve_cached(scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    """The kept page this HTTP request asks for, as (status, headers, body); None when Django
    must answer (a session, a query string, a page not kept yet, a version not known yet)."""
    if scope["method"] not in ("GET", "HEAD") or scope.get("query_string"):
        return None
    if settings.CSRF_USE_SESSIONS or settings.USE_X_FORWARDED_HOST:
        return None
    if settings.SECURE_SSL_REDIRECT and scope.get("scheme") != "https":
        return None
    meta = {
        "HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
        for name, value in scope["headers"]
    }
    cookies = parse_cookie(meta.get("HTTP_COOKIE", ""))
    if settings.SESSION_COOKIE_NAME in cookies:
        return None
    server = scope.get("server") or ("localhost", 80)
    host = meta.get("HTTP_HOST") or f"{server[0]}:{server[1]}"
    if not _host_allowed(host, tuple(settings.ALLOWED_HOSTS), settings.DEBUG):
        return None
    match = _match(scope["path"])
    source = getattr(match.func, "page_source", None) if match else None
    if source is None:
        return None
    version = known_version(source, match.kwargs)
    if version is None:
        return None
    language = _language(
        cookies.get(settings.LANGUAGE_COOKIE_NAME), meta.get("HTTP_ACCEPT_LANGUAGE")
    )
    key = page_key(
        match.url_name,
        path=scope["path"],
        language=language,
        htmx=bool(meta.get("HTTP_HX_REQUEST")),
        version=version,
    )
    page = _kept(key)
    if page is None:
        return None
    secret = cookies.get(settings.CSRF_COOKIE_NAME, "")
    is_new = not _is_csrf_secret(secret)
    if is_new:  # a reader's first page (or a cookie Django would replace)
        secret = _random_chars(CSRF_SECRET_LENGTH)
    status, headers, body = _answer(
        page, meta, secret=secret, token=_mask(secret), head=scope["method"] == "HEAD"
    )
    if is_new:
        headers.append((b"set-cookie", _csrf_cookie(secret)))
    return status, headers, body


# What Django would decide from a request's path, host and language headers, remembered.


@functools.lru_cache(maxsize=4096)
def _match(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None


@functools.lru_cache(maxsize=256)
def _host_allowed(host: str, allowed_hosts: tuple, debug: bool) -> bool:
    request = HttpRequest()
    request.META["HTTP_HOST"] = host
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


@functools.lru_cache(maxsize=1024)
def _language(cookie: str | None, accept_language: str | None) -> str:
    request = HttpRequest()
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    if accept_language is not None:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return translation.get_language_from_request(request)


def _is_csrf_secret(value: str) -> bool:
    return len(value) == CSRF_SECRET_LENGTH and not value.strip(CSRF_ALLOWED_CHARS)


# Random bytes to CSRF characters: bytes past the last whole multiple of 62 are dropped, so
# every character is equally likely.
_CHARS = CSRF_ALLOWED_CHARS.encode()
_USABLE = 256 - 256 % len(_CHARS)
_BYTE_TO_CHAR = bytes(_CHARS[b % len(_CHARS)] for b in range(_USABLE)) + bytes(256 - _USABLE)
_UNUSABLE = bytes(range(_USABLE, 256))
# (a + b) mod 62 for two characters, as Django's masking adds them.
_SUMS = {
    (x, y): CSRF_ALLOWED_CHARS[(i + j) % len(_CHARS)]
    for i, x in enumerate(CSRF_ALLOWED_CHARS)
    for j, y in enumerate(CSRF_ALLOWED_CHARS)
}


def _random_chars(count: int) -> str:
    """Uniformly random CSRF characters, from one read of the system's random source."""
    chars = b""
    while len(chars) < count:
        chars += secrets.token_bytes(2 * count).translate(_BYTE_TO_CHAR, _UNUSABLE)
    return chars[:count].decode()


def _mask(secret: str) -> str:
    """A form token for `secret`, masked afresh as Django's get_token() masks it (so that
    Django's CSRF check accepts it), without its character-by-character random choices."""
    mask = _random_chars(CSRF_SECRET_LENGTH)
    return mask + "".join(map(_SUMS.get, zip(secret, mask, strict=True)))


def _csrf_cookie(secret: str) -> bytes:
    """The CSRF cookie as Django's CSRF middleware sets it."""
    request = HttpRequest()
    request.META["CSRF_COOKIE"], request.META["CSRF_COOKIE_NEEDS_UPDATE"] = secret, True
    response = HttpResponse()
    _csrf.process_response(request, response)
    return response.cookies[settings.CSRF_COOKIE_NAME].OutputString().encode()


class PageCacheApp:
    """ASGI: answer from the page cache when it can, else hand the request to `app`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            answer = serve_cached(scope)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


# A committed write starts a new generation: versions are read again, pages found anew.


def _written(name: str) -> None:
    # At once for readers in this process (inside the transaction too), and once it commits
    # for every process.
    with _local_lock:
        _local_generations[name] += 1
    transaction.on_commit(lambda: _new_generation(name))


@receiver([post_save, post_delete], sender=Flow)
@receiver([post_save, post_delete], sender=Participant)
@receiver([post_save, post_delete], sender=Step)
@receiver([post_save, post_delete], sender=Note)
def _library_written(sender, **kwargs) -> None:
    _written("library")


@receiver([post_save, post_delete], sender=LiveSession)
def _session_written(sender, instance, **kwargs) -> None:
    _written(f"live:{instance.code}")
