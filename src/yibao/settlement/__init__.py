"""结算 (settlement): visits, fee details, pre-settlement, settlement, reversal and the year ledger."""
