"""xAPI statements: validation (xAPI 1.0.3 and 2.0), timestamps, canonical form, typed columns.

``validate`` is the public entry point (``validate_statement``, ``InvalidStatement``); the other
modules are the rule sets it is built from, one per part of the Data specification:
``actors`` (Data 2.4.2, 2.4.9), ``activity`` (2.4.3, 2.4.4), ``context`` (2.4.5, 2.4.6),
``attachments`` (2.4.11), ``rules`` (version rule sets), ``fast`` (the fast path for the common
shapes), ``fragments`` (one part of a statement on its own), ``formats`` (IRI, mbox, UUID,
language tags), ``timestamps`` (ISO 8601), ``errors``, ``canonical`` (what makes two copies the
same statement) and ``fields`` (statement to the store's typed columns).
"""
