"""Reference data of the demo: warehouses, categories, products, suppliers and price lists.

Pure: everything is a function of a `numpy.random.Generator` and the arguments.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class WarehouseSpec:
    code: str
    name: str
    kind: str  # cloud | forward
    region: str
    city: str
    transit_days: int  # cloud → here by road
    demand_share: float  # share of national demand served from here
    name_zh: str | None = None


# Index 0 is the cloud warehouse; the forwards are replenished from it.
WAREHOUSES: tuple[WarehouseSpec, ...] = (
    WarehouseSpec("CLOUD-SH", "Shanghai Cloud Warehouse (Kunshan)", "cloud", "east", "Kunshan", 0, 0.34,
                  "上海云仓（昆山）"),
    WarehouseSpec("FWD-BJ", "Beijing Forward Warehouse", "forward", "north", "Beijing", 2, 0.21, "北京前置仓"),
    WarehouseSpec("FWD-GZ", "Guangzhou Forward Warehouse", "forward", "south", "Guangzhou", 2, 0.19, "广州前置仓"),
    WarehouseSpec("FWD-CD", "Chengdu Forward Warehouse", "forward", "west", "Chengdu", 3, 0.12, "成都前置仓"),
    WarehouseSpec("FWD-WH", "Wuhan Forward Warehouse", "forward", "central", "Wuhan", 1, 0.14, "武汉前置仓"),
)


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    promo_elasticity: float  # exponent on the promotion multiplier
    return_rate: float  # share of shipped units that customers send back
    name_zh: str | None = None


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("home", "Home living", 1.0, 0.025, "家居生活"),
    CategorySpec("parenting", "Parenting and education", 1.1, 0.02, "母婴与教育"),
    CategorySpec("health", "Health", 0.8, 0.01, "健康"),
)


@dataclass(frozen=True)
class ItemTemplate:
    category: int  # index into CATEGORIES
    name: str
    unit: str
    pack_size: int
    cost: tuple[float, float]  # unit cost range, CNY
    specs: tuple[str, ...]


_COLOURS = ("White", "Grey", "Navy", "Beige", "Pink", "Green")
_SIZES = ("S", "M", "L", "XL")


def _combos(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{a} / {b}" for a in first for b in second)


TEMPLATES: tuple[ItemTemplate, ...] = (
    ItemTemplate(0, "Foldable Storage Box", "pcs", 12, (18, 45), _combos(("20L", "35L", "50L"), _COLOURS[:4])),
    ItemTemplate(0, "Cotton Bath Towel", "pcs", 20, (15, 40), _combos(("70x140cm", "80x160cm"), _COLOURS)),
    ItemTemplate(0, "Bedsheet Set", "set", 8, (60, 160), _combos(("1.5m", "1.8m", "2.0m"), _COLOURS[:5])),
    ItemTemplate(0, "Ceramic Mug", "pcs", 24, (8, 25), _combos(("350ml", "450ml"), _COLOURS)),
    ItemTemplate(0, "Vacuum Flask", "pcs", 20, (35, 90), _combos(("500ml", "750ml"), _COLOURS[:4])),
    ItemTemplate(0, "Memory Foam Pillow", "pcs", 6, (45, 120), ("Standard", "Low", "Contour", "Child")),
    ItemTemplate(0, "Non-stick Frying Pan", "pcs", 6, (55, 150), ("24cm", "26cm", "28cm", "30cm")),
    ItemTemplate(0, "Laundry Basket", "pcs", 10, (20, 55), _combos(("40L", "60L"), _COLOURS[:3])),
    ItemTemplate(0, "Vacuum Storage Bags", "pack", 30, (12, 35), ("5-pack", "10-pack", "Jumbo 4-pack")),
    ItemTemplate(0, "Throw Blanket", "pcs", 10, (40, 110), _combos(("130x160cm", "150x200cm"), _COLOURS)),
    ItemTemplate(1, "Glass Baby Bottle", "pcs", 24, (25, 70), ("120ml", "160ml", "240ml", "300ml")),
    ItemTemplate(1, "Diapers", "pack", 4, (45, 110), ("NB 84pcs", "S 72pcs", "M 60pcs", "L 52pcs", "XL 44pcs")),
    ItemTemplate(1, "Baby Wipes", "pack", 12, (12, 30), ("80 sheets", "3x80 sheets", "10x80 sheets")),
    ItemTemplate(1, "Picture Book Set", "set", 10, (30, 90), ("Ages 0-3", "Ages 3-6", "Ages 6-9")),
    ItemTemplate(1, "Building Blocks", "box", 6, (50, 180), ("120 pcs", "300 pcs", "500 pcs")),
    ItemTemplate(1, "Washable Crayons", "box", 24, (10, 28), ("12 colours", "24 colours", "36 colours")),
    ItemTemplate(1, "Children's School Backpack", "pcs", 8, (60, 160), _combos(("Grade 1-3", "Grade 4-6"), _COLOURS[1:5])),
    ItemTemplate(1, "Math Flash Cards", "set", 20, (8, 22), ("Addition", "Multiplication", "Fractions")),
    ItemTemplate(1, "Kids Learning Tablet", "pcs", 4, (150, 420), ("Chinese", "English", "Bilingual")),
    ItemTemplate(2, "Digital Thermometer", "pcs", 20, (15, 45), ("Oral", "Forehead", "Ear")),
    ItemTemplate(2, "Blood Pressure Monitor", "pcs", 6, (110, 260), ("Upper arm", "Wrist")),
    ItemTemplate(2, "Disposable Face Masks", "box", 20, (10, 30), ("Adult 50pcs", "Child 50pcs", "KN95 20pcs")),
    ItemTemplate(2, "Vitamin C Tablets", "bottle", 24, (20, 60), ("60 tablets", "120 tablets")),
    ItemTemplate(2, "Massage Gun", "pcs", 4, (160, 420), _combos(("Mini", "Pro"), _COLOURS[:3])),
    ItemTemplate(2, "Yoga Mat", "pcs", 10, (35, 95), _combos(("6mm", "10mm"), _COLOURS[2:])),
    ItemTemplate(2, "Hand Sanitizer", "bottle", 24, (8, 22), ("60ml", "300ml", "500ml")),
    ItemTemplate(2, "Electric Toothbrush", "pcs", 8, (70, 220), _combos(("Adult", "Kids"), _COLOURS[:4])),
    ItemTemplate(2, "Knee Support Brace", "pcs", 20, (25, 70), _SIZES),
    ItemTemplate(2, "Cool-mist Humidifier", "pcs", 4, (90, 240), ("2L", "4L")),
)


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    style_number: str
    specification: str
    unit: str
    pack_size: int
    category: int
    unit_cost: Decimal


def make_products(rng: np.random.Generator, n_skus: int) -> list[ProductSpec]:
    """`n_skus` products, grouped in styles of 1–4 specifications of one item template."""
    products: list[ProductSpec] = []
    style_no = 0
    while len(products) < n_skus:
        t_index = int(rng.integers(len(TEMPLATES)))
        template = TEMPLATES[t_index]
        style_no += 1
        prefix = CATEGORIES[template.category].code[:2].upper()
        style = f"{prefix}{t_index:02d}{style_no:04d}"
        k = min(int(rng.integers(1, 5)), len(template.specs), n_skus - len(products))
        cost = Decimal(str(round(float(rng.uniform(*template.cost)), 2)))
        for spec_index in sorted(rng.choice(len(template.specs), size=k, replace=False).tolist()):
            spec = template.specs[spec_index]
            products.append(ProductSpec(
                sku=f"{style}-{spec_index + 1:02d}", name=template.name, style_number=style, specification=spec,
                unit=template.unit, pack_size=template.pack_size, category=template.category, unit_cost=cost,
            ))
    return products


@dataclass(frozen=True)
class SupplierSpec:
    """A supplier and how it behaves: the simulation draws its deliveries from these."""

    code: str
    name: str
    city: str
    categories: tuple[int, ...]
    price_factor: float  # its prices relative to the market (cost × ~1.0)
    on_time_rate: float  # share of orders that arrive by the promised date
    max_late_days: int
    defect_rate: float  # share of received units rejected at inspection
    lead_time_days: int
    response_hours: float = 24.0  # typical hours from a PO being sent to the supplier confirming it

    @property
    def email(self) -> str:
        return f"sales@{self.code.lower()}.supplier.demo"


SUPPLIERS: tuple[SupplierSpec, ...] = (
    SupplierSpec("NBHW", "Ningbo Homeware Manufacturing Co.", "Ningbo", (0,), 0.93, 0.62, 9, 0.012, 14, 30),
    SupplierSpec("YWTR", "Yiwu Everyday Trading Co.", "Yiwu", (0, 1, 2), 0.88, 0.78, 6, 0.055, 10, 52),
    SupplierSpec("HZTX", "Hangzhou Silk & Textile Co.", "Hangzhou", (0,), 1.04, 0.95, 3, 0.006, 12, 6),
    SupplierSpec("STTY", "Shantou Chenghai Toys Ltd.", "Shantou", (1,), 0.95, 0.70, 8, 0.030, 18, 40),
    SupplierSpec("GZBC", "Guangzhou Baby Care Products Co.", "Guangzhou", (1, 2), 1.02, 0.93, 4, 0.008, 9, 10),
    SupplierSpec("SHED", "Shanghai Bright Education Press", "Shanghai", (1,), 1.06, 0.97, 2, 0.004, 7, 4),
    SupplierSpec("SZHT", "Shenzhen Smart Health Technology", "Shenzhen", (2, 0), 1.08, 0.96, 3, 0.005, 12, 8),
    SupplierSpec("TJMD", "Tianjin Medical Supplies Co.", "Tianjin", (2,), 0.97, 0.85, 5, 0.015, 15, 20),
    SupplierSpec("DGHM", "Dongguan Home & Kitchen Works", "Dongguan", (0, 2), 0.91, 0.74, 10, 0.025, 21, 64),
    SupplierSpec("JXMB", "Jiaxing Mother & Baby Textiles", "Jiaxing", (1, 0), 0.99, 0.88, 5, 0.012, 11, 16),
)


@dataclass(frozen=True)
class PriceSpec:
    """One `SupplierPrice` row; `valid_to` None = open-ended."""

    supplier: int
    product: int
    unit_price: Decimal
    moq: int
    pack_size: int
    lead_time_days: int
    is_preferred: bool
    valid_from: dt.date
    valid_to: dt.date | None


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def make_prices(
    rng: np.random.Generator, products: list[ProductSpec], core: np.ndarray, start: dt.date, end: dt.date
) -> list[PriceSpec]:
    """Each product gets a preferred supplier plus backups (1–2 for core products).

    The preferred supplier is the best value (price weighted by reliability) among the
    product's suppliers. Some preferred prices changed mid-history: the old row is
    closed (`valid_to`) and a new one opened the next day.
    """
    by_category = {c: [i for i, s in enumerate(SUPPLIERS) if c in s.categories] for c in range(len(CATEGORIES))}
    mid = start + (end - start) / 2
    prices: list[PriceSpec] = []
    for p_index, product in enumerate(products):
        candidates = by_category[product.category]
        n = min(len(candidates), int(rng.integers(2, 4)) if core[p_index] else int(rng.integers(1, 3)))
        chosen = [candidates[i] for i in sorted(rng.choice(len(candidates), size=n, replace=False).tolist())]
        cost = float(product.unit_cost)
        quotes = {s: cost * SUPPLIERS[s].price_factor * float(rng.uniform(0.95, 1.06)) for s in chosen}
        value = {s: quotes[s] * (1.6 - 0.6 * SUPPLIERS[s].on_time_rate) for s in chosen}
        preferred = min(chosen, key=lambda s: (value[s], s))
        for s in chosen:
            supplier = SUPPLIERS[s]
            pack = product.pack_size
            moq = pack * int(rng.choice([1, 2, 5, 10] if core[p_index] else [1, 2]))
            lead = max(3, supplier.lead_time_days + int(rng.integers(-2, 4)))
            price = quotes[s]
            if s == preferred and rng.random() < 0.3:
                old_to = mid - dt.timedelta(days=1)
                prices.append(PriceSpec(s, p_index, _money(price * float(rng.uniform(1.02, 1.10))), moq, pack, lead,
                                        True, start, old_to))
                prices.append(PriceSpec(s, p_index, _money(price), moq, pack, lead, True, mid, None))
            else:
                prices.append(PriceSpec(s, p_index, _money(price), moq, pack, lead, s == preferred, start, None))
    return prices
