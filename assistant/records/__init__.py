"""What happens, kept: each exchange (a question after the personal-data filter and its outcome)
and each thumbs up or down, in one database (SQLite by default, PostgreSQL with DATABASE_URL)."""
