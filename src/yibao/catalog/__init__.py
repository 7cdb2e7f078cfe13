"""三目录 (catalogs).

Drugs, medical service items, consumables, service facilities; prices and hospital code mapping (对码).
"""
