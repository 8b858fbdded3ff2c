"""Domains: primitive sets and task loaders (lists now; grids, digits, control later)."""

from __future__ import annotations

from hylo.domains.base import Domain
from hylo.lang.errors import HyloError

__all__ = ["BUILTIN_DOMAINS", "Domain", "get_domain"]

BUILTIN_DOMAINS = ("lists", "lists-dreamcoder", "arc", "control", "digits")
"""``lists``: hylo's list primitives; ``lists-dreamcoder``: DreamCoder's 23 base ones only;
``arc``: ARC grids."""


def get_domain(name: str) -> Domain:
    """The built-in domain called ``name`` (imported on first use)."""
    if name == "lists":
        from hylo.domains.lists import LISTS

        return LISTS
    if name == "digits":
        from hylo.domains.digits import DIGITS

        return DIGITS
    if name == "lists-dreamcoder":
        from hylo.domains.lists import list_domain

        return Domain("lists-dreamcoder", list_domain(extra=False).primitives)
    if name == "arc":
        from hylo.domains.arc import ARC

        return ARC
    if name == "control":
        from hylo.domains.control import CONTROL

        return CONTROL
    raise HyloError(f"unknown domain {name!r}; built-in domains are: {', '.join(BUILTIN_DOMAINS)}")
