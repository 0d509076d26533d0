"""The simulated vendor both simulators share: items, the Amazon customer, GL accounts, FCs.

Deterministic (seeded ``random.Random``) so a test can name an item and the demo looks the same
on every machine. Product ids carry valid GS1 check digits, computed by python-stdnum.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from stdnum import ean

VENDOR_CODE = "VSYNC"
VENDOR_NAME = "Northwind Home Goods"
AMAZON_CUSTOMER_ID = "1001"
AMAZON_CUSTOMER_NAME = "Amazon.com Services LLC (Vendor Central)"
SUBSIDIARY_ID = "1"
GS1_COMPANY_PREFIX = "0614141"  # GS1's own example prefix

# Amazon fulfilment centres (party ids as they appear on POs) with ship-to addresses.
FULFILMENT_CENTRES: dict[str, dict[str, str]] = {
    "ABE8": {"name": "Amazon.com ABE8", "city": "Florence", "state": "NJ", "postal": "08518"},
    "PHX6": {"name": "Amazon.com PHX6", "city": "Phoenix", "state": "AZ", "postal": "85043"},
    "ONT8": {"name": "Amazon.com ONT8", "city": "Moreno Valley", "state": "CA", "postal": "92551"},
    "MDW2": {"name": "Amazon.com MDW2", "city": "Joliet", "state": "IL", "postal": "60436"},
    "BFI4": {"name": "Amazon.com BFI4", "city": "Kent", "state": "WA", "postal": "98032"},
}


@dataclass(frozen=True)
class CatalogItem:
    netsuite_id: str
    sku: str
    asin: str
    upc: str  # 12-digit UPC-A with a valid check digit
    description: str
    cost: Decimal  # what NetSuite says Amazon should pay per unit
    case_pack: int
    stock: int  # available quantity at the main warehouse
    weight_lb: Decimal


@dataclass(frozen=True)
class GLAccount:
    netsuite_id: str
    number: str
    name: str
    kind: str  # "bank", "receivable", "deduction", "income", "expense"


GL_ACCOUNTS: tuple[GLAccount, ...] = (
    GLAccount("110", "1010", "Operating Bank Account", "bank"),
    GLAccount("120", "1200", "Accounts Receivable", "receivable"),
    GLAccount("401", "4000", "Sales - Amazon 1P", "income"),
    GLAccount("451", "4510", "Terms Discounts Allowed", "deduction"),
    GLAccount("452", "4520", "Shortage Claims", "deduction"),
    GLAccount("453", "4530", "Price Claims", "deduction"),
    GLAccount("454", "4540", "Co-op and Marketing Allowances", "deduction"),
    GLAccount("455", "4550", "Chargebacks - Operational", "deduction"),
    GLAccount("456", "4560", "Price Protection", "deduction"),
    GLAccount("457", "4570", "Damage and Returns Allowance", "deduction"),
    GLAccount("458", "4580", "Accrued Provisions - Amazon", "deduction"),
    GLAccount("610", "6100", "Freight Out", "expense"),
)

_NOUNS = (
    "Mug",
    "Skillet",
    "Towel Set",
    "Candle",
    "Cutting Board",
    "Storage Bin",
    "Lamp",
    "Throw Pillow",
    "Kettle",
    "Knife Block",
    "Planter",
    "Wall Clock",
    "Bath Mat",
    "Spice Rack",
    "Water Bottle",
    "Colander",
    "Serving Tray",
    "Doormat",
    "Picture Frame",
    "Tea Towels",
)
_ADJECTIVES = (
    "Stoneware",
    "Cast Iron",
    "Bamboo",
    "Linen",
    "Ceramic",
    "Copper",
    "Oak",
    "Enamel",
    "Glass",
    "Cotton",
)


def _upc(rng: random.Random) -> str:
    body = GS1_COMPANY_PREFIX[1:] + f"{rng.randrange(0, 10**5):05d}"  # 11 digits
    return body + ean.calc_check_digit(body)


@cache
def items(count: int = 200) -> tuple[CatalogItem, ...]:
    rng = random.Random(20261126)
    result: list[CatalogItem] = []
    seen_upcs: set[str] = set()
    for index in range(count):
        upc = _upc(rng)
        while upc in seen_upcs:
            upc = _upc(rng)
        seen_upcs.add(upc)
        adjective = _ADJECTIVES[index % len(_ADJECTIVES)]
        noun = _NOUNS[(index // len(_ADJECTIVES)) % len(_NOUNS)]
        cost = (Decimal(rng.randrange(350, 9000)) / 100).quantize(Decimal("0.01"))
        # About one item in eight is out of stock, a few have thin stock.
        roll = rng.random()
        stock = 0 if roll < 0.12 else rng.randrange(5, 60) if roll < 0.3 else rng.randrange(100, 2000)
        result.append(
            CatalogItem(
                netsuite_id=str(5000 + index),
                sku=f"NW-{index + 1:04d}",
                asin="B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8)),
                upc=upc,
                description=f"{adjective} {noun} #{index + 1}",
                cost=cost,
                case_pack=rng.choice((1, 2, 4, 6, 12)),
                stock=stock,
                weight_lb=(Decimal(rng.randrange(5, 400)) / 10).quantize(Decimal("0.1")),
            )
        )
    return tuple(result)


def item_by_asin(asin: str) -> CatalogItem | None:
    return next((item for item in items() if item.asin == asin), None)


def unmapped_asins(count: int = 12) -> tuple[str, ...]:
    """ASINs Amazon orders that have no item in NetSuite (the SKU/ASIN gap the demo shows)."""
    rng = random.Random(7)
    return tuple(
        "B0Z" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7))
        for _ in range(count)
    )
