"""Which network addresses count as public, decided here rather than by the interpreter.

`ipaddress.is_private` and `is_global` follow IANA's registries as each Python release saw them:
3.11.10, 3.12.4 and 3.13 began counting 6to4 (2002::/16) as private, earlier patch releases did
not. A webhook guard whose answer changes with the interpreter is no guard, so the ranges are
listed below from IANA's special-purpose address registries (RFC 6890 and its updates).

6to4, NAT64 and IPv4-mapped addresses carry an IPv4 address; they are as public as the address
they carry. 6to4 is deprecated (RFC 7526) but still routed: a 6to4 address of a public host
reaches that host, and one of a private host is refused with it.

Hosts are read as the operating system reads them: inet_aton takes 2130706433, 0177.0.0.1,
0x7f.1 and 127.1 for 127.0.0.1, which `ipaddress` does not, so `numeric_ipv4` reads them here.
"""
import ipaddress
import re
from typing import Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def _networks(*cidrs: str) -> tuple:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


_NOT_PUBLIC_V4 = _networks(
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private use
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local (cloud metadata lives here)
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the broadcast address
)
# Public IPv6 unicast lies in 2000::/3; these parts of it are not public.
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NOT_PUBLIC_V6 = _networks(
    "2001::/23",  # IETF protocol assignments, Teredo among them
    "2001:db8::/32", "3fff::/20",  # documentation
    "2002::/16",  # 6to4: judged by the IPv4 address it carries, below
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address stands for, else None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def is_public_address(address: str | Address) -> bool:
    """True for a public unicast address; False for private, loopback, link-local, multicast,
    reserved, documentation and unspecified ones, IPv4 or IPv6, including IPv4 carried in IPv6."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return not any(ip in network for network in _NOT_PUBLIC_V4)
    carried = carried_ipv4(ip)
    if carried is not None:
        return is_public_address(carried)
    return ip in _GLOBAL_UNICAST_V6 and not any(ip in network for network in _NOT_PUBLIC_V6)


# A host whose last label looks like a number is an IPv4 address or nothing (the WHATWG URL
# standard's "ends in a number"): no top-level domain is all digits.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_IPV4_PART = re.compile(r"0[xX](?P<hex>[0-9a-fA-F]+)|0(?P<octal>[0-7]*)|(?P<decimal>[1-9][0-9]*)")


def _ipv4_part(part: str) -> int:
    """One part of an inet_aton address: 0x hexadecimal, 0 octal, else decimal."""
    found = _IPV4_PART.fullmatch(part)
    if found is None:
        raise ValueError(f"{part!r} is not a number inet_aton reads")
    if found["hex"]:
        return int(found["hex"], 16)
    if found["octal"] is not None:
        return int(found["octal"] or "0", 8)
    return int(found["decimal"])


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address `host` stands for, in any form inet_aton reads; None for a host name.

    Raises ValueError for a host that ends in a number but is no address, such as 256.0.0.1.
    """
    if not _NUMERIC_LABEL.fullmatch(host.removesuffix(".").rpartition(".")[2]):
        return None
    parts = host.split(".")  # a trailing dot leaves an empty part: inet_aton refuses it too
    if len(parts) > 4:
        raise ValueError(f"{host!r} has more than four parts")
    numbers = [_ipv4_part(part) for part in parts]
    # a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits) or a (32 bits)
    if any(number > 0xFF for number in numbers[:-1]) or numbers[-1] >= 1 << 8 * (5 - len(numbers)):
        raise ValueError(f"{host!r} has a part too large")
    value = numbers[-1]
    for position, number in enumerate(numbers[:-1]):
        value |= number << 8 * (3 - position)
    return ipaddress.IPv4Address(value)
