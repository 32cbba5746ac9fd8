"""``athena venues`` and ``athena strategies go-live``: trading on an exchange, from the command line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from athena.testing.cli import Run
from athena.testing.fake_exchange import FakeExchange, FakeMarket


def test_venues_set_when_exchange_given_key_shows_testnet_keeps_secret_off_disk_refuses_bad_input(
    admin_cli: Run, tmp_path: Path,
) -> None:
    assert json.loads(admin_cli("--json", "venues", "show").stdout)["name"] == "paper"
    admin_cli("venues", "set", "binance", "--symbols", "BTC/USDT,ETH/USDT", "--api-key", "my-key",
              "--api-url", "http://127.0.0.1:9", stdin="my-very-secret\n")
    shown = admin_cli("venues", "show").stdout
    assert "binance" in shown and "testnet (sandbox)" in shown and "BTC/USDT,ETH/USDT" in shown
    assert "my-very-secret" not in (tmp_path / "ws" / "credentials.json").read_text()
    refused = admin_cli("venues", "set", "bybit", "--api-key", "k", stdin="s\n", ok=False)
    assert refused.returncode == 2 and "needs the symbols to trade" in refused.stderr
    admin_cli("venues", "set", "paper")
    assert json.loads(admin_cli("--json", "venues", "show").stdout)["name"] == "paper"


def test_strategies_go_live_when_admin_has_no_totp_is_refused_and_audited(admin_cli: Run) -> None:
    refused = admin_cli("strategies", "go-live", "btc_trend", "--totp", "123456", ok=False)
    assert refused.returncode == 3 and "must enrol TOTP" in refused.stderr
    entry = json.loads(admin_cli("--json", "audit", "list", "--action", "strategies.go_live").stdout)[0]
    assert (entry["actor"], entry["outcome"]) == ("admin", "denied")


def test_orders_fills_when_an_exchange_fill_charged_two_currencies_shows_each_amount(admin_cli: Run) -> None:
    with FakeExchange(markets=(FakeMarket("BTC", "USDT", price=Decimal(100)),),
                      balances={"USDT": Decimal(1_000)}) as binance:
        admin_cli("venues", "set", "binance", "--symbols", "BTC/USDT", "--api-key", binance.api_key,
                  "--api-url", binance.url, stdin=binance.secret + "\n")
        admin_cli("engine", "--ticks", "1", "--tick", "0.01")
        binance.split_next_fill(("0.5", "BTC"), ("0.5", "USDT"))
        admin_cli("orders", "send", "buy", "1", "BTC/USDT", "--client-order-id", "cli-mix")
        admin_cli("engine", "--ticks", "1", "--tick", "0.01")
    [fill] = json.loads(admin_cli("--json", "orders", "fills").stdout)
    assert (Decimal(fill["quantity"]), Decimal(fill["fee"]), fill["fee_currency"]) == (1, Decimal("0.1"), None)
    assert [(c["currency"], Decimal(c["amount"]), Decimal(c["value"])) for c in fill["fee_detail"]] == [
        ("BTC", Decimal("0.0005"), Decimal("0.05")), ("USDT", Decimal("0.05"), Decimal("0.05"))]
    [header, _, row] = admin_cli("orders", "fills").stdout.splitlines()
    assert "CHARGED" in header and "0.0005 BTC + 0.05 USDT" in row
