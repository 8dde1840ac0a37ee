"""Navigation by role: each app registers its entries with the access rule that shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

from dapolice import access
from dapolice.accounts.models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    label: StrOrPromise
    url_name: str
    policy: str
    order: int = 100


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: (i.order, str(i.label)))


def items_for(user: User) -> list[dict[str, str]]:
    return [
        {"label": str(i.label), "url": reverse(i.url_name), "key": i.url_name}
        for i in _items
        if access.check(user, i.policy)
    ]
