"""What the Risk control tower shows and does: vitals, mandates, the kill switch and its reset, stress."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import param
from param.parameters import NoNone

from athena.auth import Permission
from athena.console import Snapshot
from athena.execution.portfolio import PortfolioView
from athena.model import Approval, ApprovalStatus
from athena.risk import GLOBAL
from athena.risk.mandates import BreachAction, Limit, LimitKind
from athena.risk.var_limit import MIN_RETURNS
from athena.ui.state.base import PageState, show
from athena.ui.state.figures import VAR_WINDOW, DayOpen, drawdown, var_table
from athena.ui.state.stress import StressRunner

__all__ = ["APPROVAL_ACTIONS", "MANDATE_COLUMNS", "NO_HISTORY", "VITALS", "RiskState"]

#: Vital -> the mandate kind it is measured against (None: no mandate kind bounds it).
VITALS: dict[str, LimitKind | None] = {
    "Gross leverage": LimitKind.MAX_GROSS_LEVERAGE,
    "Net exposure": LimitKind.MAX_NET_EXPOSURE,
    "Drawdown": LimitKind.MAX_DRAWDOWN,
    "Daily loss": LimitKind.MAX_DAILY_LOSS,
    "VaR 95%": None,
    "CVaR 95%": None,
    "VaR 99%": None,
    "CVaR 99%": None,
    "Engine VaR 99% 1d": LimitKind.MAX_VAR,
    "Engine CVaR 99% 1d": None,
}
MANDATE_COLUMNS = ["scope", "kind", "warn", "breach", "action", "value", "level", "reason"]
#: The level of a MAX_VAR limit whose VaR cannot be measured yet (too little price history).
NO_HISTORY = "no history"
#: Approval requests this page lets an ADMIN decide.
APPROVAL_ACTIONS = ("killswitch.reset", "mandate.loosen")
_EDITABLE = [k.value for k in LimitKind if k is not LimitKind.ALLOWED_SYMBOLS]


def _no_history(published: dict[str, Any]) -> str:
    if published.get("reason"):
        return str(published["reason"])
    return f"too little price history: VaR needs {MIN_RETURNS} snapshot returns of every symbol of the book"


def _published_method(published: dict[str, Any]) -> str:
    if not published:
        return "the engine has published no VaR yet"
    if published.get("var") is None:
        return f"the engine could not measure it: {published.get('reason', '')}"
    return (f"{published['method']} simulation, {published['confidence']:.0%}, {published['horizon']} "
            f"(square root of time), {published['observations']} snapshot returns of "
            f"{published['period_s']:.3g} s, published with the snapshot")


class RiskState(PageState):
    """Risk figures against the mandates, and the controls that stop trading."""

    live = True

    vitals = param.List(default=[], item_type=dict, doc=(
        "One row per vital: name, value, warn, breach, level (OK, WARN, BREACH, NO LIMIT, or 'no history' for a "
        "MAX_VAR limit whose VaR cannot be measured yet) and the reason for 'no history'."))
    var_method = param.String(default="", doc="How VaR and CVaR were measured.")
    engine_var_method = param.String(default="", doc=(
        "How the engine measured the VaR and CVaR it published with its latest snapshot, or why it could not."))
    mandates = param.DataFrame(default=pd.DataFrame(columns=MANDATE_COLUMNS), doc=(
        "Every limit with its live value and warn/breach state (pre-trade kinds show no value; a MAX_VAR limit "
        "without enough price history shows 'no history' and why)."))
    trading_state = param.String(default="ACTIVE", doc="Global trading state: ACTIVE, REDUCING or HALTED.")
    scope = param.String(default=GLOBAL, doc="Scope of the limit to set: 'global' or 'strategy:<name>'.")
    kind = param.Selector[str](default=LimitKind.MAX_DRAWDOWN.value, objects=_EDITABLE, doc="Kind of limit to set.")
    warn = param.String(default="", doc="Warn level; empty for none.")
    breach = param.String(default="", doc="Breach level.")
    action = param.Selector[str](default=BreachAction.ALERT.value, objects=[a.value for a in BreachAction], doc=(
        "What the risk monitor does at breach."))
    limit_totp = param.String(default="", doc="Your TOTP code; loosening a limit needs it.")
    armed = param.Boolean(default=False, doc="Whether ENGAGE was pressed and waits for a reason and confirmation.")
    kill_reason = param.String(default="", doc="Why the kill switch is engaged; recorded in the ledger.")
    reset_totp = param.String(default="", doc="Your TOTP code, to request a kill switch reset.")
    approvals = param.List(default=[], item_type=Approval, doc=(
        "Pending kill switch resets and mandate loosenings, newest first."))
    selected_approval = param.Integer(default=None, allow_None=True, doc="Id of the pending request to approve.")
    approve_totp = param.String(default="", doc="Your TOTP code, to approve the selected request.")
    stress = param.ClassSelector(allow_None=NoNone, class_=StressRunner, doc=(
        "The stress summary and the scenario runner."))

    def __init__(self, session: Any, **params: Any) -> None:
        super().__init__(session, stress=StressRunner(), **params)
        self._history: list[Snapshot] = []
        self._opening = DayOpen()

    @property
    def can_engage(self) -> bool:
        """Return whether the role may engage the kill switch."""
        return self.session.can(Permission.KILLSWITCH_ENGAGE)

    @property
    def can_reset(self) -> bool:
        """Return whether the role may request a kill switch reset."""
        return self.session.can(Permission.KILLSWITCH_RESET)

    @property
    def can_decide(self) -> bool:
        """Return whether the role may approve requests."""
        return self.session.can(Permission.APPROVALS_DECIDE)

    @property
    def can_edit(self) -> bool:
        """Return whether the role may set limits."""
        return self.session.can(Permission.MANDATES_EDIT)

    def refresh(self) -> None:
        """Reload vitals, mandates, trading state, pending requests and the stress summary."""
        if self.session.console is None:
            return
        console = self.console
        view = self.run(console.portfolio)
        latest = self.run(console.latest_snapshot)
        states = self.run(console.trading_states) or {}
        show(self, trading_state=states[GLOBAL].value if GLOBAL in states else "ACTIVE")
        limits = self.run(console.limits) or []
        if view is not None:
            self._vitals(view, latest, [lim for lim in limits if lim.scope == GLOBAL])
        self._mandates(limits, latest.detail.get("var", {}) if latest is not None else {})
        show(self.stress, summary=latest.detail.get("stress", {}) if latest is not None else {})
        approvals = self.run(lambda: console.list_approvals(ApprovalStatus.PENDING)) or []
        show(self, approvals=[a for a in approvals if a.action in APPROVAL_ACTIONS])
        if self.selected_approval not in {int(a.id) for a in self.approvals}:
            self.selected_approval = int(self.approvals[0].id) if self.approvals else None

    def poll(self) -> int:
        """Re-read everything and collect a finished scenario run."""
        self.refresh()
        self.stress.collect()
        return 0

    def _vitals(self, view: PortfolioView, latest: Snapshot | None, limits: list[Limit]) -> None:
        console = self.console
        latest_id = latest.id if latest else 0
        published = latest.detail.get("var", {}) if latest is not None else {}
        now = console.workspace.clock.now()
        after = self._history[-1].id if self._history else max(0, latest_id - VAR_WINDOW)
        self._history = (self._history + (self.run(lambda: console.snapshots(after, VAR_WINDOW)) or []))[-VAR_WINDOW:]
        history = self._history
        opening = self._opening.get(now, lambda start: self.run(lambda: console.first_snapshot(start)))
        peak = max([view.nav] + [s.peak_nav for s in history[-1:]])
        risk, method = var_table(history, view)
        values: dict[str, float | None] = {
            "Gross leverage": float(view.leverage),
            "Net exposure": float(abs(view.net_exposure)),
            "Drawdown": float(drawdown(view.nav, peak)),
            "Daily loss": float(max(Decimal(0), opening.nav - view.nav)) if opening is not None else 0.0,
            "VaR 95%": risk["var95"], "CVaR 95%": risk["cvar95"], "VaR 99%": risk["var99"], "CVaR 99%": risk["cvar99"],
            "Engine VaR 99% 1d": published.get("var"), "Engine CVaR 99% 1d": published.get("cvar"),
        }
        by_kind = {lim.kind: lim for lim in limits}
        rows = []
        for name, kind in VITALS.items():
            value = values[name]
            limit = by_kind.get(kind) if kind is not None else None
            level, reason = "NO LIMIT" if limit is None or value is None else limit.level(Decimal(str(value))).value, ""
            if limit is not None and limit.kind is LimitKind.MAX_VAR and value is None:
                level, reason = NO_HISTORY, str(published.get("reason") or "the engine has published no VaR yet")
            rows.append({"name": name, "value": value, "warn": None if limit is None or limit.warn is None
                         else float(limit.warn), "breach": None if limit is None else float(limit.breach),
                         "level": level, "reason": reason})
        show(self, vitals=rows, var_method=method, engine_var_method=_published_method(published))

    def _mandates(self, limits: list[Limit], published: dict[str, Any]) -> None:
        statuses = self.run(self.console.mandate_status) or []
        measured = {(st.limit.scope, st.limit.kind): st for st in statuses}
        rows = []
        for lim in limits:
            st = measured.get((lim.scope, lim.kind))
            # The monitor measures a MAX_VAR limit only once the history exists; without it, it is not pre-trade.
            level, reason = ("pre-trade", "") if st is None else (st.level.value, "")
            if st is None and lim.kind is LimitKind.MAX_VAR:
                level, reason = NO_HISTORY, _no_history(published if lim.scope == GLOBAL else {})
            rows.append({"scope": lim.scope, "kind": lim.kind.value,
                         "warn": None if lim.warn is None else float(lim.warn),
                         "breach": float(lim.breach) if lim.kind is not LimitKind.ALLOWED_SYMBOLS
                         else ", ".join(lim.symbols), "action": lim.action.value,
                         "value": None if st is None else float(st.value),
                         "level": level, "reason": reason})
        show(self, mandates=pd.DataFrame(rows, columns=MANDATE_COLUMNS))

    def set_limit(self) -> Approval | None:
        """Set the limit the form describes; a loosening becomes an approval request."""
        if not self.breach.strip():
            self.say("Enter a breach level.", "warning")
            return None
        scope, kind, warn, breach, action = self.scope.strip(), self.kind, self.warn.strip() or None, \
            self.breach.strip(), self.action
        totp = self.limit_totp.strip() or None
        def done(approval: Approval | None) -> str:
            if approval is None:
                return f"Set {scope} {kind}."
            return f"Loosening {scope} {kind} needs a second ADMIN: approval #{approval.id} requested, pending."

        result = self.run(lambda: self.console.set_limit(scope, kind, breach=breach, warn=warn, action=action,
                                                         totp=totp), done)
        self.limit_totp = ""
        self.refresh()
        return result

    def arm(self) -> None:
        """Start engaging the kill switch: ask for a reason and a confirmation."""
        self.param.update(armed=True, kill_reason="")
        self.say("Kill switch armed: type the reason, then confirm. Every open order will be cancelled.", "warning")

    def disarm(self) -> None:
        """Cancel the pending engage."""
        self.param.update(armed=False, kill_reason="")
        self.say("Kill switch not engaged.", "info")

    def engage(self) -> int | None:
        """Engage the kill switch with the reason typed (only once armed); return orders cancelled."""
        if not self.armed:
            self.say("Press ENGAGE first, then confirm.", "warning")
            return None
        if not self.kill_reason.strip():
            self.say("Type the reason for engaging the kill switch.", "warning")
            return None
        reason = self.kill_reason.strip()
        cancelled = self.run(lambda: self.console.engage_kill_switch(reason),
                             lambda n: f"Kill switch engaged: trading HALTED, {n} open orders cancelled.")
        if cancelled is not None:
            self.param.update(armed=False, kill_reason="")
        self.refresh()
        return cancelled

    def request_reset(self) -> Approval | None:
        """Ask to reset the kill switch with your TOTP; a second ADMIN must approve it."""
        code = self.reset_totp.strip() or None
        approval = self.run(lambda: self.console.request_kill_switch_reset(code),
                            lambda a: f"Reset requested (approval #{a.id}): a second ADMIN must approve it.")
        self.reset_totp = ""
        self.refresh()
        return approval

    def approve(self) -> Approval | None:
        """Approve the selected pending request with your TOTP; it takes effect at once."""
        approval_id, code = self.selected_approval, self.approve_totp.strip() or None
        if approval_id is None:
            self.say("There is no pending request to approve.", "warning")
            return None
        decided = self.run(lambda: self.console.approve(approval_id, code),
                           lambda a: f"Approved request #{a.id} ({a.action}).")
        self.approve_totp = ""
        self.refresh()
        return decided

    def approvals_frame(self) -> pd.DataFrame:
        """Return the pending requests as a table."""
        rows = [{"id": int(a.id), "action": a.action, "requested_by": a.requested_by,
                 "requested_at": a.requested_at.strftime("%Y-%m-%d %H:%M:%S"),
                 "params": ", ".join(f"{k}={v}" for k, v in a.params.items())} for a in self.approvals]
        return pd.DataFrame(rows, columns=["id", "action", "requested_by", "requested_at", "params"])

    def run_scenario(self) -> None:
        """Stress the current book with the chosen library scenario in a background thread."""
        view = self.run(self.console.portfolio)
        if view is not None:
            self.stress.start(view)
