"""A suggestion's "why" in the reader's language, read from what the planner stored.

The planner (forecasting/replenish.py, network.py, plan.py) writes its reasons as English
sentences keyed by step (``position``, ``lead_time``, ``safety_stock``, ``trigger``, ``quantity``,
``transfer``, ``purchase``, ``supplier``, ``stockout``) — the only record of what it decided: the
echelon position of a cloud purchase, the position after shipping to forward warehouses, the
order-up-to trigger of the fill-rate mode. Nothing is re-derived here: each sentence is matched
to the shape the planner writes and re-worded through gettext with the planner's own figures; a
sentence of an unknown shape is shown as stored (English), never rebuilt.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

NUM = r"(-?[\d.]+)"
Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _order_word(m: re.Match[str], group: int) -> str:
    return _("order") if m.group(group) == "order" else _("no order needed")


def _network(suffix: str | None) -> str:
    return " " + _("(whole network)") if suffix else ""


def _source(word: str) -> str:
    return {"receipts": _("past receipts"), "price_list": _("the price list")}.get(word, word)


RULES: dict[str, list[Rule]] = {
    "position": [
        (re.compile(rf"^echelon position {NUM} = on hand {NUM} \+ in transit {NUM} \+ on order {NUM} − reserved {NUM}"
                    r" \(cloud \+ forward warehouses\)$"),
         lambda m: _("Network position %(position)s (cloud + forward warehouses) = on hand %(on_hand)s + in transit "
                     "%(in_transit)s + on order %(on_order)s − reserved %(reserved)s", position=m[1], on_hand=m[2],
                     in_transit=m[3], on_order=m[4], reserved=m[5])),
        (re.compile(rf"^position {NUM} = on hand {NUM} \+ in transit {NUM} \+ on order {NUM} − reserved {NUM}$"),
         lambda m: _("Position %(position)s = on hand %(on_hand)s + in transit %(in_transit)s + on order %(on_order)s "
                     "− reserved %(reserved)s", position=m[1], on_hand=m[2], in_transit=m[3], on_order=m[4],
                     reserved=m[5])),
    ],
    "lead_time": [
        (re.compile(rf"^lead time {NUM} ± {NUM} days \(from (\w+)\); forecast demand over it {NUM}$"),
         lambda m: _("Lead time %(days)s ± %(std)s days (from %(source)s); forecast demand over it %(demand)s",
                     days=m[1], std=m[2], source=_source(m[3]), demand=m[4])),
    ],
    "safety_stock": [
        (re.compile(rf"^safety stock {NUM} = z {NUM} \(service level (\d+)%\) × (.*)$"),
         lambda m: _("Safety stock %(ss)s = z %(z)s (service level %(level)s%%) × %(formula)s", ss=m[1], z=m[2],
                     level=m[3], formula=m[4])),
        (re.compile(rf"^target fill rate ([\d.]+)%: demand over lead time \+ review \({NUM} days\) {NUM} ± {NUM} "
                    rf"\((\w+)\); order up to {NUM} leaves {NUM} units short per {NUM}-day cycle; "
                    rf"safety stock {NUM}$"),
         lambda m: _("Target fill rate %(rate)s%%: demand over lead time + review (%(days)s days) %(mean)s ± %(std)s "
                     "(%(dist)s); order up to %(level)s leaves %(short)s units short per %(review)s-day cycle; "
                     "safety stock %(ss)s", rate=m[1], days=m[2], mean=m[3], std=m[4], dist=m[5], level=m[6],
                     short=m[7], review=m[8], ss=m[9])),
        (re.compile(rf"^target fill rate ([\d.]+)%: demand over lead time \+ review \({NUM} days\) {NUM} ± {NUM} "
                    rf"\(from past forecast errors, (\d+) points\); order up to {NUM} serves ([\d.]+)% of demand "
                    rf"over (\d+) lost-sales review cycles; safety stock {NUM}$"),
         lambda m: _("Target fill rate %(rate)s%%: demand over lead time + review (%(days)s days) %(mean)s ± %(std)s "
                     "(from past forecast errors, %(points)s points); order up to %(level)s serves %(served)s%% of "
                     "demand over %(cycles)s lost-sales review cycles; safety stock %(ss)s", rate=m[1], days=m[2],
                     mean=m[3], std=m[4], points=m[5], level=m[6], served=m[7], cycles=m[8], ss=m[9])),
    ],
    "trigger": [
        (re.compile(rf"^position {NUM} (≤|>) reorder point {NUM}: (order|no order needed)$"),
         lambda m: _("Position %(position)s %(cmp)s reorder point %(rop)s: %(decision)s", position=m[1], cmp=m[2],
                     rop=m[3], decision=_order_word(m, 4))),
        (re.compile(rf"^position {NUM} (<|≥) order-up-to level {NUM}: (order|no order needed)$"),
         lambda m: _("Position %(position)s %(cmp)s order-up-to level %(level)s: %(decision)s", position=m[1],
                     cmp=m[2], level=m[3], decision=_order_word(m, 4))),
    ],
    "quantity": [
        (re.compile(rf"^order up to {NUM} \(reorder point \+ {NUM} demand over the {NUM}-day review period\) − "
                    rf"position {NUM} = {NUM} → rounded up to MOQ {NUM} and pack {NUM}: {NUM}$"),
         lambda m: _("Order up to %(target)s (reorder point + %(review_demand)s demand over the %(review)s-day review "
                     "period) − position %(position)s = %(need)s, rounded up to MOQ %(moq)s and pack %(pack)s: "
                     "%(qty)s", target=m[1], review_demand=m[2], review=m[3], position=m[4], need=m[5], moq=m[6],
                     pack=m[7], qty=m[8])),
        (re.compile(rf"^order up to {NUM} − position {NUM} = {NUM} → rounded up to MOQ {NUM} and pack {NUM}: {NUM}$"),
         lambda m: _("Order up to %(target)s − position %(position)s = %(need)s, rounded up to MOQ %(moq)s and pack "
                     "%(pack)s: %(qty)s", target=m[1], position=m[2], need=m[3], moq=m[4], pack=m[5], qty=m[6])),
    ],
    "transfer": [
        (re.compile(rf"^needs {NUM}; cloud (\S+) has {NUM} available for {NUM} needed by forward warehouses"
                    rf"(?:: shared in proportion to need, gets {NUM})?$"),
         lambda m: _("Needs %(need)s; cloud %(cloud)s has %(available)s available for %(total)s needed by forward "
                     "warehouses", need=m[1], cloud=m[2], available=m[3], total=m[4]) + (
             "" if m[5] is None else _(": shared in proportion to need, gets %(qty)s", qty=m[5]))),
    ],
    "purchase": [
        (re.compile(rf"^network need {NUM} \(cloud \+ forward warehouses' position {NUM} against network demand; "
                    rf"forward needs are part of it\) → rounded up to MOQ {NUM} and pack {NUM}: {NUM}$"),
         lambda m: _("Network need %(need)s (cloud + forward warehouses' position %(position)s against network demand; "
                     "forward needs are part of it), rounded up to MOQ %(moq)s and pack %(pack)s: %(qty)s",
                     need=m[1], position=m[2], moq=m[3], pack=m[4], qty=m[5])),
        (re.compile(rf"^own need {NUM} after shipping {NUM} to forward warehouses \+ {NUM} forward need not covered by "
                    rf"cloud stock → rounded up to MOQ {NUM} and pack {NUM}: {NUM}$"),
         lambda m: _("Own need %(need)s after shipping %(shipped)s to forward warehouses + %(uncovered)s forward need "
                     "not covered by cloud stock, rounded up to MOQ %(moq)s and pack %(pack)s: %(qty)s", need=m[1],
                     shipped=m[2], uncovered=m[3], moq=m[4], pack=m[5], qty=m[6])),
    ],
    "supplier": [
        (re.compile(rf"^no valid supplier price: lead time assumed {NUM} days; add a price list before approving$"),
         lambda m: _("No valid supplier price: lead time assumed %(days)s days; add a price list before approving",
                     days=m[1])),
    ],
    "stockout": [
        (re.compile(r"^no demand forecast: no stock-out expected( \(network\))?$"),
         lambda m: _("No demand forecast: no stock-out expected") + _network(m[1])),
        (re.compile(rf"^available {NUM} lasts {NUM} days at forecast demand( \(network\))?$"),
         lambda m: _("Available %(available)s lasts %(days)s days at forecast demand", available=m[1], days=m[2])
         + _network(m[3])),
    ],
}


def reason_lines(stored: Any) -> list[str]:
    """The stored reasons (a suggestion, its JSON text or the decoded dict), one line per step in
    the planner's order, translated where the sentence has a known shape."""
    if hasattr(stored, "reasons") and not isinstance(stored, dict):
        stored = stored.reasons
    if isinstance(stored, str):
        stored = json.loads(stored) if stored else {}
    lines = []
    for key, sentence in (stored or {}).items():
        for pattern, render in RULES.get(key, []):
            if m := pattern.match(str(sentence)):
                lines.append(render(m))
                break
        else:
            lines.append(str(sentence))
    return lines
