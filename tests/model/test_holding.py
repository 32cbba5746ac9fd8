"""Average-cost holdings when an exchange takes the fee out of the coins, checked by hand and with fractions."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from athena.model import FeeCharge, Holding, fee_parts

TINY = F(1, 10**20)


def test_apply_when_buy_pays_fee_in_base_holds_coins_received_at_cost_over_them() -> None:
    held = Holding().apply(D(1), D(100), D(0), D("0.001"))
    assert (held.quantity, held.cash_flow, held.fees, held.realized_pnl) == (D("0.999"), D(100), D(0), D(0))
    assert abs(F(held.average_price) - F(100) / F("0.999")) < TINY


def test_apply_when_sell_pays_fee_in_base_removes_it_too_and_realises_proceeds_less_cost() -> None:
    held = Holding().apply(D(1), D(100), D(0), D("0.001")).apply(D("-0.5"), D(110), D(0), D("0.0005"))
    average = F(100) / F("0.999")
    assert held.quantity == D("0.4985") and held.cash_flow == D(100) - D(55)
    # 55 received for 0.5005 coins that cost 100 / 0.999 each.
    assert abs(F(held.realized_pnl) - (F(55) - F("0.5005") * average)) < TINY
    assert abs(F(held.average_price) - average) < TINY and held.fees == 0


def test_apply_when_buy_with_base_fee_covers_a_short_and_flips_opens_the_rest_at_its_cost() -> None:
    short = Holding().apply(D(-1), D(100), D(0))
    # 2.002 bought at 90 (180.18 paid), 0.002 of it the fee: 2 coins at 90.09 each.
    held = short.apply(D("2.002"), D(90), D(0), D("0.002"))
    assert (held.quantity, held.average_price, held.realized_pnl) == (D(1), D("90.09"), D("9.91"))
    assert held.cash_flow == D(-100) + D("180.18")


def test_apply_when_fee_in_quote_books_the_executed_quantity_and_takes_the_fee_from_cash() -> None:
    held = Holding().apply(D(1), D(100), D("0.1"))
    assert (held.quantity, held.average_price, held.fees, held.cash_flow) == (D(1), D(100), D("0.1"), D("100.1"))


@pytest.mark.parametrize(("quantity", "base_fee"), [(D(1), D(1)), (D(1), D(2)), (D(-1), D("-0.001"))])
def test_apply_when_base_fee_negative_or_not_below_a_buy_raises_naming_both(quantity: D, base_fee: D) -> None:
    with pytest.raises(ValueError, match=f"was base_fee={base_fee} quantity={quantity}"):
        Holding().apply(quantity, D(100), D(0), base_fee)


@pytest.mark.parametrize(("detail", "parts"), [
    ((FeeCharge("BTC", D("0.001"), D(30)),), (D(0), D("0.001"))),
    ((FeeCharge("USDT", D(30), D(30)),), (D(30), D(0))),
    ((FeeCharge("BNB", D("0.1"), D(30)),), (D(30), D(0))),
    ((), (D(30), D(0))),
])
def test_fee_parts_when_charged_in_each_currency_splits_cash_from_coins(
    detail: tuple[FeeCharge, ...], parts: tuple[D, D],
) -> None:
    assert fee_parts("BTC/USDT", D(30), detail) == parts


def test_fee_parts_when_charged_in_base_quote_and_bnb_pays_the_coins_and_the_others_values_from_cash() -> None:
    # 0.0005 BTC (worth 15), 0.05 USDT and 0.0002 BNB worth 0.05 at 250: 0.0005 in coins, 0.1 from cash.
    detail = (FeeCharge("BNB", D("0.0002"), D("0.05")), FeeCharge("BTC", D("0.0005"), D(15)),
              FeeCharge("USDT", D("0.05"), D("0.05")))
    assert fee_parts("BTC/USDT", D("15.1"), detail) == (D("0.1"), D("0.0005"))
