"""Domains: primitive sets and task loaders (lists now; grids, digits, control later)."""

from __future__ import annotations

from hylo.domains.base import Domain
from hylo.lang.errors import HyloError

__all__ = ["BUILTIN_DOMAINS", "Domain", "get_domain"]

BUILTIN_DOMAINS = ("lists",)


def get_domain(name: str) -> Domain:
    """The built-in domain called ``name`` (imported on first use)."""
    if name == "lists":
        from hylo.domains.lists import LISTS

        return LISTS
    raise HyloError(f"unknown domain {name!r}; built-in domains are: {', '.join(BUILTIN_DOMAINS)}")
