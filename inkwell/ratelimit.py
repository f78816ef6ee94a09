"""Fixed-window rate limits kept in the shared cache (Redis), so every web process counts together."""

from django.core.cache import cache

from inkwell.errors import RateLimited


def rate_limit(*, scope: str, key: str, limit: int, window: int, message: str) -> None:
    """Count one hit for `key` in `scope`; raise RateLimited once more than `limit` land in `window` seconds."""
    cache_key = f"ratelimit:{scope}:{key}"
    # add() creates the counter with its expiry only if it is missing; incr() is atomic in Redis.
    if cache.add(cache_key, 1, timeout=window):
        return
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window)
        return
    if hits > limit:
        raise RateLimited(message, retry_after=window)
