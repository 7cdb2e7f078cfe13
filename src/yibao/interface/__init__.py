"""National interface for designated institutions (国家医保信息平台 定点医药机构接口)."""
