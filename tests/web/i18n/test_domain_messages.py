"""Domain messages (`N_`) are English everywhere but the page: the renderer translates them."""
from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from app.errors import N_, ValidationFailed, joined, translated, word


def test_a_domain_message_is_its_english_text_and_translates_when_rendered(app: Any) -> None:
    msg = N_("quantity %(qty)s is below the supplier's minimum order quantity %(moq)s", qty=3, moq=10)
    assert msg == "quantity 3 is below the supplier's minimum order quantity 10"  # logs, CLI, API
    with app.test_request_context("/"), force_locale("zh"):
        assert translated(msg) == "数量 3 低于供应商的起订量 10"
    with app.test_request_context("/"), force_locale("en"):
        assert translated(msg) == str(msg)


def test_nested_messages_status_words_and_joined_lists_translate_part_by_part(app: Any) -> None:
    line = N_("Line %(n)s (%(sku)s): %(message)s", n=2, sku="HL-TOWEL", message=N_("quantity must be at least 1"))
    state = N_("%(number)s is %(status)s; only a draft can be sent", number="PO-1", status=word("partially_received"))
    both = joined([line, state])
    assert both == "Line 2 (HL-TOWEL): quantity must be at least 1 · PO-1 is partially received; only a draft can be sent"
    with app.test_request_context("/"), force_locale("zh"):
        assert translated(both) == ("第 2 行（HL-TOWEL）：数量至少为 1 · "
                                    "PO-1 状态为“部分收货”，只有草稿可以发送")


def test_an_api_problem_body_stays_english(app: Any) -> None:
    err = ValidationFailed(N_("a reason is required to reject"), [{"field": "reason", "message": N_("required")}])
    with app.test_request_context("/"), force_locale("zh"):
        assert err.problem()["detail"] == "a reason is required to reject"
        assert err.problem()["title"] == "Invalid request"
