"""Settlement: partners paid for what they redeemed, exactly once (docs/settlement.md)."""
