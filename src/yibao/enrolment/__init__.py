"""参保登记与缴费 (enrolment and contributions).

Units, persons, insurance relations, contributions, personal accounts and transfers.
"""
