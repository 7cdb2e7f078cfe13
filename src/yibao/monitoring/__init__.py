"""智能监控 intelligent monitoring: rule library, in-visit checks, batch engines, suspicious cases."""
