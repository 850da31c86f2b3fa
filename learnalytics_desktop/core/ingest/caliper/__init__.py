"""IMS Caliper 1.2: events, entities and envelopes become xAPI statements, skips or rejects."""
