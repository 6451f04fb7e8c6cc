"""A Bsale instance's catalogue: offices, document types, taxes, coins, price lists, products, variants,
clients and the rest, as typed records (each is the JSON object Bsale shows, so it renders as it is)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any, NotRequired, TypedDict, TypeVar


class Office(TypedDict):
    id: int
    name: str
    description: str
    address: str
    latitude: str
    longitude: str
    isVirtual: int
    country: str
    municipality: str
    city: str
    zipCode: str
    costCenter: str
    state: int
    defaultPriceListId: int
    default: NotRequired[bool]  # the main office only


class BookType(TypedDict):
    id: int
    name: str
    state: int


class Caf(TypedDict):
    """The folio range the SII authorised for an electronic document type."""

    startDate: int
    expirationDate: int
    startNumber: int
    endNumber: int
    lastNumberUsed: int


class DocumentType(TypedDict):
    id: int
    name: str
    initialNumber: int
    codeSii: str
    isElectronicDocument: int
    breakdownTax: int
    use: int
    isSalesNote: int
    isExempt: int
    restrictsTax: int
    useClient: int
    thermalPrinter: int
    state: int
    copyNumber: int
    isCreditNote: int
    continuedHigh: int
    ledgerAccount: str
    ipadPrint: int
    ipadPrintHigh: str
    bookTypeId: int
    caf: Caf | None


class Tax(TypedDict):
    id: int
    name: str
    percentage: str  # "19.0": Bsale sends it as a string
    forAllProducts: int
    ledgerAccount: str
    code: str
    state: int


class Coin(TypedDict):
    id: int
    name: str
    symbol: str
    decimals: int
    totalRound: int
    state: int


class PriceList(TypedDict):
    id: int
    name: str
    description: str
    state: int
    coinId: int


class Product(TypedDict):
    id: int
    name: str
    description: str
    classification: int
    ledgerAccount: str
    costCenter: str
    allowDecimal: int
    stockControl: int
    printDetailPack: int
    state: int
    prestashopProductId: int
    presashopAttributeId: int


class Variant(TypedDict):
    id: int
    productId: int
    description: str
    unlimitedStock: int
    allowNegativeStock: int
    state: int
    barCode: str
    code: str
    serialNumber: int
    prices: dict[str, float]  # price list id (as a string) → net unit price
    stock: dict[str, float]  # office id (as a string) → quantity
    cost: float
    receptions: NotRequired[list[list[float]]]  # [reception id, date, quantity, cost], as received


class Client(TypedDict):
    id: int
    firstName: str
    lastName: str
    email: str
    code: str  # the RUT, as the client gave it
    phone: str
    company: str
    note: str
    hasCredit: int
    maxCredit: int
    state: int
    activity: str
    city: str
    municipality: str
    address: str
    companyOrPerson: int
    points: int
    pointsUpdated: Any
    sendDte: int
    isForeigner: int
    prestashopClienId: int
    createdAt: int
    updatedAt: int
    addresses: list[dict[str, Any]]


class PaymentType(TypedDict):
    id: int
    name: str
    isVirtual: int
    isCheck: int
    maxCheck: int
    isCreditNote: int
    isClientCredit: int
    isCash: int
    isCreditMemo: int
    state: int
    maxClientCuota: int
    ledgerAccount: str
    isCustomerAccount: int
    isGiftCard: int
    default: NotRequired[bool]  # the usual payment type only


class User(TypedDict):
    id: int
    firstName: str
    lastName: str
    email: str
    state: int
    office: int
    api: NotRequired[bool]  # the user the API acts as


class DteCode(TypedDict):
    id: int
    name: str
    codeSii: str
    state: int


class DynamicAttribute(TypedDict):
    id: int
    name: str
    type: int
    state: int
    forDocumentTypeIds: list[int]


class Discount(TypedDict):
    id: int
    name: str
    percentage: str
    forAllProducts: int
    allowedDays: str
    state: int


class SaleCondition(TypedDict):
    id: int
    name: str
    days: int
    state: int


class ShippingType(TypedDict):
    id: int
    name: str
    codeSii: str  # the SII's IndTraslado on the guía
    state: int


R = TypeVar("R")


def find(table: dict[int, R], ident: Any) -> R | None:
    """The record with id `ident` (an int or a numeric string, as clients send ids), or None."""
    try:
        return table.get(int(ident))
    except (TypeError, ValueError):
        return None


@dataclass
class Catalogue:
    """Each collection by id, named as Bsale's endpoints name it (`/v1/price_lists.json`)."""

    offices: dict[int, Office]
    book_types: dict[int, BookType]
    document_types: dict[int, DocumentType]
    taxes: dict[int, Tax]
    coins: dict[int, Coin]
    price_lists: dict[int, PriceList]
    products: dict[int, Product]
    variants: dict[int, Variant]
    clients: dict[int, Client]
    payment_types: dict[int, PaymentType]
    users: dict[int, User]
    dte_codes: dict[int, DteCode]
    dynamic_attributes: dict[int, DynamicAttribute]
    discounts: dict[int, Discount]
    sale_conditions: dict[int, SaleCondition]
    shipping_types: dict[int, ShippingType]
    # the same collections by name, for what treats them alike (a read of every expansion goes through it)
    _tables: dict[str, dict[int, dict[str, Any]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._tables = {name: getattr(self, name) for name in KINDS}

    @classmethod
    def from_seed(cls, seed: dict[str, Any]) -> Catalogue:
        """A private copy of the seed's collections: an instance changes its own (stock, folios…)."""
        return cls(
            **{f.name: {r["id"]: copy.deepcopy(r) for r in seed[f.name]} for f in fields(cls) if f.init}
        )

    def table(self, kind: str) -> dict[int, dict[str, Any]]:
        """A collection by its name (KeyError for a name that is none)."""
        return self._tables[kind]


KINDS = frozenset(f.name for f in fields(Catalogue) if f.init)
