"""Fixed-window counters and rate limits kept in the shared cache (Redis), so every web process
and worker counts together."""

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache

from inkwell.errors import RateLimited


def _key(scope: str, key: str) -> str:
    return f"ratelimit:{scope}:{key}"


def counter_hit(*, scope: str, key: str, window: int) -> int:
    """Count one event for `key` in `scope` and return how many happened in the current window."""
    cache_key = _key(scope, key)
    # add() creates the counter with its expiry only if it is missing; incr() is atomic in Redis.
    if cache.add(cache_key, 1, timeout=window):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window)
        return 1


def counter_value(*, scope: str, key: str) -> int:
    return cache.get(_key(scope, key), 0)


def rate_limit(*, scope: str, key: str, limit: int, window: int, message: str) -> None:
    """Count one hit; raise RateLimited once more than `limit` land in `window` seconds."""
    if counter_hit(scope=scope, key=key, window=window) > limit:
        raise RateLimited(message, retry_after=window)


def rate_limit_delivery(*, scope: str, address: str, ip: str | None, message: str) -> None:
    """Limit requests that send something to `address` (a sign-in link or code, a workspace list),
    per client IP (SIGNIN_RATE_PER_IP) and per address (SIGNIN_RATE_PER_ADDRESS).

    The IP is counted first, and the address only for requests the IP limit let through: otherwise
    one client could use up a person's allowance with requests that were refused anyway, and keep
    them from receiving anything. `address` must be the exact key the delivery looks the person up
    by, so that no other spelling of it gets an allowance of its own.
    """
    if ip:
        limit, window = settings.SIGNIN_RATE_PER_IP
        rate_limit(scope=f"{scope}-ip", key=address_bucket(ip), limit=limit, window=window, message=message)
    limit, window = settings.SIGNIN_RATE_PER_ADDRESS
    key = hashlib.sha256(address.encode()).hexdigest()  # no addresses or numbers in Redis
    rate_limit(scope=f"{scope}-address", key=key, limit=limit, window=window, message=message)


def client_address(request) -> str | None:
    """The client's IP address. Behind a proxy it must be the real client's: run uvicorn with
    --proxy-headers and --forwarded-allow-ips set to the proxy's address (see README)."""
    return request.META.get("REMOTE_ADDR") or None


def lockout_address(request) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the client's address as the staff login lock counts it,
    IPv6 grouped by /64 like every other per-IP limit (given as the block's first address, since
    axes stores an IP address)."""
    ip = client_address(request)
    return ip and address_bucket(ip).split("/", 1)[0]


def address_bucket(ip: str) -> str:
    """What a per-IP limit counts by. IPv6 clients are grouped by /64, the block one subscriber
    usually gets, so rotating addresses inside it doesn't escape the limit."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
