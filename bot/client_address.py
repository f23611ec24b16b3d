"""Who is asking: the peer address, or what a trusted reverse proxy says it forwarded for."""

from __future__ import annotations

import ipaddress

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: str) -> list[Network]:
    """ "10.0.0.1, 192.168.0.0/24" as networks (WEB_TRUSTED_PROXIES)."""
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    ]


def in_networks(address: str, found: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in found)


def client_address(request: web.Request, trusted: list[Network]) -> str:
    """The peer, or (when the peer is a trusted proxy) the rightmost forwarded address that
    none of our proxies added: that is the real client."""
    peer = request.remote or "unknown"
    if not trusted or not in_networks(peer, trusted):
        return peer
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not in_networks(address, trusted):
            return address
    return peer
