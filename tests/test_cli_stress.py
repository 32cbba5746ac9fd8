"""``athena stress`` and ``athena risk`` run as a user would: in subprocesses against files and a workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from athena import data
from athena.execution import PaperVenue
from athena.risk.returns import returns_of
from athena.risk.var import value_at_risk
from athena.testing.cli import CLI_PASSWORD, Run, cli_runner
from athena.workspace import connect

PW = CLI_PASSWORD
# Importing the module attaches its commands, whether or not athena.cli registers it yet.


@pytest.fixture
def athena(tmp_path: Path) -> Run:
    return cli_runner(tmp_path / "ws", cwd=tmp_path)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    bars = data.synthetic(symbols=("BTC/USDT", "ETH/USDT"), periods=400, timeframe="1d", seed=3)
    data.save(bars, tmp_path / "bars.csv")
    (tmp_path / "book.csv").write_text("symbol,quantity,stop\nBTC/USDT,0.5,\nETH/USDT,-2,\n")
    (tmp_path / "ghost.csv").write_text("symbol,quantity\nBTC/USDT,1\nSOL/USDT,3\n")
    (tmp_path / "mine.yaml").write_text("scenarios:\n  - name: mine\n    shocks: {default: -0.5}\n")
    (tmp_path / "broken.yaml").write_text("scenarios:\n  - name: mine\n    shocks: {defualt: -0.5}\n")
    return {p.stem: p for p in tmp_path.iterdir() if p.is_file()}


def test_stress_scenarios_when_listed_shows_library_and_user_file(athena: Run, files: dict[str, Path]) -> None:
    rows = json.loads(athena("--json", "stress", "scenarios", "--file", str(files["mine"])).stdout)
    names = [r["name"] for r in rows]
    assert names[0] == "black_monday_1987" and names[-1] == "mine" and len(names) == 9
    assert "covid_crash_2020" in athena("stress", "scenarios").stdout


def test_stress_run_when_positions_file_reports_impact_and_breaches(athena: Run, files: dict[str, Path]) -> None:
    out = athena("--json", "stress", "run", "-s", "crypto_crash_may_2021", "-s", "mine", "--scenario-file",
                 str(files["mine"]), "--positions", str(files["book"]), "--data", str(files["bars"]),
                 "--cash", "1000", "--limit", "max_drawdown=0.01").stdout
    crypto, mine = json.loads(out)
    bars = data.load(files["bars"])
    btc, eth = (float(bars[s]["close"].iloc[-1]) for s in ("BTC/USDT", "ETH/USDT"))
    cost = (0.5 * btc * 0.65 + 2 * eth * 0.58) * (15 + 150) / 10_000
    assert crypto["pnl"] == pytest.approx(0.5 * btc * -0.35 + -2 * eth * -0.42 - cost)
    assert crypto["var_after"] is not None
    assert mine["pnl"] == pytest.approx(0.5 * btc * -0.5 + -2 * eth * -0.5)
    assert [b["code"] for b in mine["breaches"]] in ([], ["MAX_DRAWDOWN"])
    human = athena("stress", "run", "-s", "all", "--positions", str(files["book"]), "--data", str(files["bars"]))
    assert human.stdout.count("== ") == 8 and "BTC/USDT" in human.stdout


def test_stress_run_when_scenario_unknown_or_malformed_exits_2_with_hint(athena: Run, files: dict[str, Path]) -> None:
    unknown = athena("stress", "run", "-s", "lehman", "--positions", str(files["book"]), "--data",
                     str(files["bars"]), ok=False)
    assert unknown.returncode == 2 and "did you mean 'lehman_2008'" in unknown.stderr
    broken = athena("stress", "run", "-s", "mine", "--scenario-file", str(files["broken"]), "--positions",
                    str(files["book"]), "--data", str(files["bars"]), ok=False)
    assert broken.returncode == 2 and "shocks.defualt is not a known field; did you mean 'default'" in broken.stderr


def test_risk_var_when_run_matches_the_library_and_refuses_bad_confidence(athena: Run, files: dict[str, Path]) -> None:
    out = json.loads(athena("--json", "risk", "var", "--method", "cornish_fisher", "--confidence", "0.975",
                            "--horizon", "5d", "--positions", str(files["book"]), "--data", str(files["bars"])).stdout)
    bars = data.load(files["bars"])
    exposures = {"BTC/USDT": 0.5 * float(bars["BTC/USDT"]["close"].iloc[-1]),
                 "ETH/USDT": -2 * float(bars["ETH/USDT"]["close"].iloc[-1])}
    direct = value_at_risk(returns_of(bars), exposures, method="cornish_fisher", confidence=0.975, horizon=5)
    assert out["var"] == pytest.approx(direct.var) and out["horizon"] == 5
    assert sum(out["components"].values()) == pytest.approx(out["var"])
    bad = athena("risk", "var", "--confidence", "1.5", "--positions", str(files["book"]), "--data",
                 str(files["bars"]), ok=False)
    assert bad.returncode == 2 and "confidence must be strictly between 0 and 1, was 1.5" in bad.stderr
    ghost = athena("risk", "var", "--positions", str(files["ghost"]), "--data", str(files["bars"]), ok=False)
    assert ghost.returncode == 2 and "no price history for SOL/USDT in bars.csv" in ghost.stderr


def test_risk_exposures_when_data_given_shows_concentration_and_correlation(athena: Run,
                                                                           files: dict[str, Path]) -> None:
    out = json.loads(athena("--json", "risk", "exposures", "--positions", str(files["book"]), "--data",
                            str(files["bars"]), "--cash", "500").stdout)
    assert out["gross"] == pytest.approx(abs(out["long"]) + abs(out["short"]))
    assert 0.5 <= out["concentration"]["hhi"] <= 1.0
    assert out["correlation"]["BTC/USDT"]["BTC/USDT"] == pytest.approx(1.0)


def test_stress_run_when_portfolio_live_reads_positions_through_console(athena: Run, files: dict[str, Path],
                                                                        tmp_path: Path) -> None:
    athena("init", "--admin-password-stdin", stdin=PW + "\n")
    athena("login", "admin", "--password-stdin", stdin=PW + "\n")
    ws = connect(tmp_path / "ws")
    with ws.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "20000", ws.clock.now())
    ws.close()
    athena("orders", "send", "buy", "1", "BTC/USDT")
    out = json.loads(athena("--json", "stress", "run", "-s", "ftx_collapse_2022", "--portfolio", "live").stdout)
    (impact,) = out
    assert impact["nav_before"] > 900_000  # the paper account's cash plus the position
    assert impact["positions"][0]["symbol"] == "BTC/USDT" and impact["positions"][0]["shock"] == -0.24
    price = impact["positions"][0]["price"]
    assert impact["pnl"] == pytest.approx(-0.24 * price - 0.76 * price * 0.0225)
    missing = athena("risk", "var", "--portfolio", "live", ok=False)
    assert missing.returncode != 0 and "--data" in missing.stderr


def test_stress_run_when_run_given_stresses_the_book_the_backtest_ended_with(athena: Run,
                                                                             files: dict[str, Path]) -> None:
    athena("init", "--admin-password-stdin", stdin=PW + "\n")
    athena("login", "admin", "--password-stdin", stdin=PW + "\n")
    run_id = json.loads(athena("--json", "backtest", "-s", "buy_and_hold", "--data", str(files["bars"]),
                               "--cash", "10000").stdout)["run_id"]
    shown = json.loads(athena("--json", "runs", "show", run_id[:8]).stdout)
    book = shown["book"]
    assert shown["symbols"] == ["BTC/USDT", "ETH/USDT"] and set(book["positions"]) == {"BTC/USDT", "ETH/USDT"}
    (impact,) = json.loads(athena("--json", "stress", "run", "-s", "covid_crash_2020", "--run", run_id[:8]).stdout)
    shocks = {"BTC/USDT": -0.37, "ETH/USDT": -0.42}
    q = {s: float(v) for s, v in book["positions"].items()}
    p = {s: float(v) for s, v in book["marks"].items()}
    # Both long: the move, less the exit cost of (20 / 2 + 50) bps on the shocked notionals.
    expected = sum(q[s] * p[s] * shocks[s] - q[s] * p[s] * (1 + shocks[s]) * 0.006 for s in q)
    assert impact["pnl"] == pytest.approx(expected)
    assert impact["nav_before"] == pytest.approx(float(book["cash"]) + sum(q[s] * p[s] for s in q))
    unknown = athena("stress", "run", "-s", "covid_crash_2020", "--run", "feedbeef", ok=False)
    assert unknown.returncode == 2 and "no run 'feedbeef'" in unknown.stderr
    both = athena("stress", "run", "-s", "covid_crash_2020", "--run", run_id, "--portfolio", "live", ok=False)
    assert both.returncode == 2 and "not --portfolio and --run" in both.stderr
