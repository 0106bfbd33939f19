"""What one client may cost: wrong join codes are counted per client address.

Counted in Django's cache, which is Redis when REDIS_URL is set, so every worker sees the
same count; the window is fixed (JOIN_ATTEMPTS_WINDOW seconds from the first wrong code).
While the cache is unreachable nothing is counted: joining a class goes on working.
"""

import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def _join_key(client: str) -> str:
    return f"join-failures:{client}"


def join_refused(*, client: str) -> bool:
    """Whether this client has tried too many wrong join codes lately."""
    try:
        return (cache.get(_join_key(client)) or 0) >= settings.JOIN_ATTEMPTS
    except Exception as error:
        log.warning("join codes are not counted: the cache failed: %r", error)
        return False


def join_failed(*, client: str) -> None:
    """Count one wrong join code against this client."""
    key = _join_key(client)
    try:
        if not cache.add(key, 1, timeout=settings.JOIN_ATTEMPTS_WINDOW):
            cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.JOIN_ATTEMPTS_WINDOW)
    except Exception as error:
        log.warning("join codes are not counted: the cache failed: %r", error)
