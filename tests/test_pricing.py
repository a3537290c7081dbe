"""pricing.toml: the optional keys are accepted; what no figure reads is not kept."""

from __future__ import annotations

from dataclasses import fields

from relay_metrics.metrics.pricing import TierPrice, load_pricing


def test_credits_per_month_is_accepted_and_not_stored(tmp_path):
    path = tmp_path / "pricing.toml"
    path.write_text('currency = "USD"\n[tiers.pro]\nprice_per_month = 12.0\ncredits_per_month = 100\n')
    assert load_pricing(path).tiers["pro"] == TierPrice(12.0)
    assert [f.name for f in fields(TierPrice)] == ["price_per_month", "subscribers"]
