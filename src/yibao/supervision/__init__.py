"""稽核 supervision: inspections, ward rounds, whistleblower reports, decisions, disclosure."""
