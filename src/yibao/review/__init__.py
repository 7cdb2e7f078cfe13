"""审核 claims review: monthly declarations, automatic and manual review, deductions, appeals."""
