"""The lake engine: the desktop's import checks and features on Apache Spark.

For an institution whose history (hundreds of millions of statements in a data lake) does not
fit one laptop. PySpark is an optional extra (``pip install 'learnalytics-desktop[spark]'``,
plus a Java 17 runtime); it is never part of the frozen desktop app, and nothing in ``core``
or ``gui`` imports this package.

Decisions (written down here because scripts and the parity tests depend on them):

* **One definition of each rule, both engines.** Executors run the desktop's own code: the
  format detection and readers (``core.ingest.sourcing``: xAPI, Caliper, Open edX), the
  converters, the validator and the extraction of the stored columns
  (``core.ingest.pipeline``), and the feature arithmetic (``core.features.compute``, over an
  :class:`~learnalytics_desktop.core.features.events.Events` built per group of students). Spark
  does what the desktop's SQLite does: finding files, deduplicating, voiding, the as-of filter
  and spreading the work. So a new feature in ``core.features.catalog.FEATURES`` reaches the
  lake without a second implementation, and ``tests/lake`` compares the two engines on every
  column so they cannot drift anyway.
* **Accounting** is the desktop import's (``core.ingest.report``): every record read is
  stored, a duplicate, a conflict, rejected or skipped (not learner activity); the first
  occurrence of an id in read order (the ``--source`` arguments in order, files within a
  folder by path) is kept, and a reject with the bytes and rule of an earlier one is a
  duplicate (the desktop's quarantine holds it once).
* **Files** are the unit of parallelism: each file is read whole by one task (as
  ``binaryFiles`` hands it over) and cut into records by the desktop reader. Lakes are
  normally landed as many files of tens to hundreds of megabytes (one per day or hour); a
  single multi-gigabyte file is read by one core.
* **What the lake does not know**: class lists (students with no statement are not in its
  tables), the categories and engagement weights saved in a desktop database (the defaults
  are used), pseudonymisation (pseudonymise when landing the data, or import on the desktop).
* **Network**: Spark's driver talks to its own JVM and its executors over sockets; in
  ``local[...]`` mode these are bound to the loopback interface and the web UI is off.
"""

from __future__ import annotations

__all__ = ["LakeError"]


class LakeError(Exception):
    """A problem the user can fix (PySpark or Java missing, a bad option); one clear line."""
