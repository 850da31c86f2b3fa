"""Open edX tracking logs: each event becomes an xAPI statement, a skip or a reject (``convert``)."""
