"""考核 agreement terms, assessment scores and credit grades, insurance doctors' points."""
