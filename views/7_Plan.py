"""Plan: the range's traffic re-run under the levers founders pull (price, caps, model swaps)."""

from typing import cast

import streamlit as st

from relay_metrics.app import page, planning, prices
from relay_metrics.app import scenario as scenario_state
from relay_metrics.metrics import plan
from relay_metrics.metrics.scenario import Scenario, ScenarioError, Swap
from relay_metrics.output import plan_chart
from relay_metrics.output.export import visible

ALL = "(all)"
MONEY_KEYS = ("revenue_usd", "cost_usd", "margin_usd", "margin_pct")
BY_TIER_ORDER = [
    "tier",
    *(
        f"{side}_{key}"
        for key in ("margin_usd", "margin_pct", "revenue_usd", "cost_usd")
        for side in ("actual", "scenario")
    ),
    "installs",
    "installs_to_profit",
    "installs_to_loss",
]


def _key(tier: str) -> str:
    # A widget key from a log string: escaped, so a lone surrogate can't break Streamlit's hashing.
    return tier.encode("unicode_escape").decode("ascii")


def _money(value: float, sign: bool = False) -> str:
    text = f"${abs(value):,.2f}"
    return ("-" if value < 0 else "+" if sign else "") + text


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


HOW = """
- **Measured**: the *actual* columns: the log's costs, and revenue by the activity rule of
  Profitability (each call covers up to a month at its tier's price from pricing.toml).
- **Estimated**: each model's rates per 1M tokens, fitted to the range's calls (non-negative
  least squares on cost = input × a + output × b + thinking × c), unless pricing.toml sets them.
  A token kind a model never used gets its output rate. R² and the largest relative residual say
  how well straight rates explain the log.
- **Scenario**: the range's same calls, re-run with the levers, in this order:
  1. **Caps**: per install and calendar month (UTC), on the capped tier (each call's own tier),
     in time order: after its N-th credit-charged call, every later call on that tier that
     month is refused. A refused call costs nothing and earns nothing; the install keeps its
     subscription (the relay still logs the refused call), so revenue doesn't change.
  2. **Swaps**: matching calls (tier, pipeline, model) not refused by a cap are re-costed with
     the target model's rates and **the same token counts**. The target's median duration on
     that pipeline, measured in the log, is the speed users would feel. A call moves once.
  3. **Prices**: revenue by the same activity rule at the new monthly prices.
- Only the date range and tier filter apply; other filters can't split revenue.
"""

view = page.start("Plan")
st.set_page_config(layout="wide")  # the by-tier table has actual and scenario columns side by side
st.caption(
    "Actual figures are **measured** from the log; model rates are **estimated** from it; "
    "the scenario columns are a **what-if**, never replacing the actuals."
)
with st.expander("How this is computed"):
    st.markdown(HOW)

file_pricing, _, error = prices.current()
if error:
    st.error("The pricing file can't be used, so no plan can be made. The cost pages still work.")
    st.code(error, language=None)
    st.stop()
assert file_pricing is not None  # current() gives the prices or an error (never empty)
page.require_rows(view)
ignored = [name for name in view.filters.narrowed_fields() if name != "tier"]
if ignored:
    st.caption("The plan ignores the " + ", ".join(ignored) + " filter(s): revenue can't be split that way.")

scenario, link_error = scenario_state.current()
if link_error:
    st.warning(link_error)

baseline = planning.plan_of(view, file_pricing, Scenario())  # an empty scenario names nothing: can't fail
tiers = [t for t in baseline.by_tier["tier"] if t != plan.UNATTRIBUTED]
# Levers for the costliest tiers only: a log may name thousands (any client can send a tier).
by_cost = baseline.by_tier[baseline.by_tier["tier"] != plan.UNATTRIBUTED]
editable = list(by_cost.sort_values("actual_cost_usd", ascending=False, kind="stable")["tier"])[: prices.EDITABLE_TIERS]
rate_models = baseline.rates.models()
frame = view.log.frame
pipelines = planning.values_in(frame["pipeline"])
models = sorted(set(planning.values_in(frame["model"])) & set(rate_models))


def _set_swaps(swaps: tuple[Swap, ...]) -> None:
    current, _ = scenario_state.current()
    scenario_state.store(Scenario(current.prices, current.caps, swaps))


def _add_swap() -> None:
    state = st.session_state
    tier, pipeline = state["plan_swap_tier"], state["plan_swap_pipeline"]
    swap = Swap(
        state["plan_swap_from"],
        state["plan_swap_to"],
        None if tier == ALL else tier,
        None if pipeline == ALL else pipeline,
    )
    current, _ = scenario_state.current()
    if swap.from_model != swap.to_model and swap not in current.swaps:
        _set_swaps((*current.swaps, swap))


def _reset() -> None:
    scenario_state.store(Scenario())
    for key in cast(list[str], list(st.session_state)):  # its keys are str (see SessionStateProxy.__iter__)
        if key.startswith(("plan_price:", "plan_cap:")):
            del st.session_state[key]


st.subheader("Levers")
price_col, cap_col = st.columns(2)
# A link's levers on other tiers are kept as they are.
new_prices = {t: p for t, p in scenario.prices.items() if t not in editable}
new_caps = {t: c for t, c in scenario.caps.items() if t not in editable}
with price_col:
    st.markdown("**Monthly price per tier** (pricing.toml's, unless changed)")
    for tier in editable:
        key = f"plan_price:{_key(tier)}"
        if key not in st.session_state:
            st.session_state[key] = float(scenario.prices.get(tier, file_pricing.price(tier)))
        name, field = st.columns([1, 2], vertical_alignment="center")
        name.text(visible(tier))
        price = field.number_input(
            "Monthly price", min_value=0.0, step=0.5, format="%.2f", key=key, label_visibility="collapsed"
        )
        if price != file_pricing.price(tier):
            new_prices[tier] = float(price)
with cap_col:
    st.markdown("**Credits per install per month** (empty: no cap)")
    for tier in editable:
        key = f"plan_cap:{_key(tier)}"
        if key not in st.session_state:
            st.session_state[key] = scenario.caps.get(tier)
        name, field = st.columns([1, 2], vertical_alignment="center")
        name.text(visible(tier))
        cap = field.number_input(
            "Cap", min_value=0, step=1, value=None, placeholder="no cap", key=key, label_visibility="collapsed"
        )
        if cap is not None:
            new_caps[tier] = int(cap)

if len(tiers) > len(editable):
    st.caption(
        f"{len(tiers) - len(editable):,} more tiers cost less; their levers stay as the pricing file (or the link) "
        f"sets them (only the {len(editable)} costliest tiers are editable here; a scenario file sets any tier)."
    )
st.markdown("**Model swaps** (calls of one model re-costed as another)")
for number, swap in enumerate(scenario.swaps):
    text, remove = st.columns([5, 1], vertical_alignment="center")
    text.text(visible(swap.label()))
    remove.button(
        "Remove",
        key=f"plan_swap_remove:{number}",
        on_click=_set_swaps,
        args=(tuple(s for s in scenario.swaps if s != swap),),
    )
if models:
    cols = st.columns([2, 2, 3, 3, 2], vertical_alignment="bottom")
    cols[0].selectbox("Tier", [ALL, *editable], key="plan_swap_tier", format_func=visible)
    cols[1].selectbox("Pipeline", [ALL, *pipelines], key="plan_swap_pipeline", format_func=visible)
    cols[2].selectbox("From model", models, key="plan_swap_from", format_func=visible)
    cols[3].selectbox("To model", rate_models, key="plan_swap_to", format_func=visible)
    cols[4].button("Add swap", key="plan_swap_add", on_click=_add_swap)
else:
    st.caption("No model in this range has token counts and costs to re-cost.")

chosen = Scenario(new_prices, new_caps, scenario.swaps)
if chosen != scenario:
    scenario_state.store(chosen)
st.button("Reset the scenario", key="plan_reset", on_click=_reset, disabled=chosen.is_empty())

try:
    result = planning.plan_of(view, file_pricing, chosen)
except ScenarioError as exc:
    st.error(f"This scenario can't be run on this range: {exc}")
    result = baseline
result = result.for_tiers(view.filters.tier)

st.subheader("Actual (measured) vs scenario, by tier")
total = result.total
for side, title in (("actual", "Actual (measured)"), ("scenario", "Scenario (what-if)")):
    st.markdown(f"**{title}**")
    cards = st.columns(4)
    for card, label, key in zip(cards, ("Revenue", "Cost", "Margin", "Margin %"), MONEY_KEYS):
        value, actual = total[f"{side}_{key}"], total[f"actual_{key}"]
        change = None if side == "actual" or value is None or actual is None or value == actual else value - actual
        card.metric(
            label,
            _percent(value) if key == "margin_pct" else _money(value),
            delta=None
            if change is None
            else (f"{change:+.1f} pts" if key == "margin_pct" else _money(change, sign=True)),
            delta_color="inverse" if key == "cost_usd" else "normal",
            help=None if side == "actual" else "Change against the actual figure.",
        )
st.text(
    f"Installs that turn from loss to profit: {total['installs_to_profit']:,}; from profit to loss: "
    f"{total['installs_to_loss']:,}."
)
chart, numbers = st.columns([1, 3])
chart.altair_chart(plan_chart.margin_before_after(result.by_tier), width="stretch")
with numbers:  # margins first: the columns a founder compares; the rest scroll
    page.table(result.by_tier[BY_TIER_ORDER], "plan-by-tier")

if chosen.caps:
    st.subheader("Caps (scenario)")
    page.table(result.caps, "plan-caps")
if result.swaps:
    st.subheader("Swaps (scenario; durations measured)")
    for number, swapped in enumerate(result.swaps, 1):
        st.text(
            visible(Swap(swapped["from"], swapped["to"], swapped["tier"], swapped["pipeline"]).label())
            + f": {swapped['calls']:,} calls, ${swapped['cost_before_usd']:,.2f} → ${swapped['cost_after_usd']:,.2f}"
        )
        page.table(swapped["by_tier"], f"plan-swap-{number}")

st.subheader("Model rates (estimated, USD per 1M tokens)")
rates = result.rates.table
shown_rates = rates.assign(
    input_per_mtok=rates["input_per_mtok"].round(4),
    output_per_mtok=rates["output_per_mtok"].round(4),
    thinking_per_mtok=rates["thinking_per_mtok"].round(4),
    r2=rates["r2"].astype(float).round(4),
    max_residual_pct=rates["max_rel_residual"].astype(float) * 100,
    flags=rates["flags"].map("; ".join),
).drop(columns="max_rel_residual")
page.table(
    shown_rates[
        [
            "model",
            "input_per_mtok",
            "output_per_mtok",
            "thinking_per_mtok",
            "calls",
            "r2",
            "max_residual_pct",
            "source",
            "flags",
        ]
    ],
    "plan-rates",
)
