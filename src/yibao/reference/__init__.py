"""National reference data (参考数据): dictionaries, ICD-10 医保版 and ICD-9-CM-3 医保版 code lists."""
