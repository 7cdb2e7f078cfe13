"""支付方式 payment methods: DRG/DIP grouping and pricing, per diem, capitation, global budget, clearing."""
