"""yibao: open medical-insurance (医保) core platform."""
