"""One module per control block (SPEC section 6)."""
