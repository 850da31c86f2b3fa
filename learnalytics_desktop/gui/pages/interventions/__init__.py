"""The Interventions page: rules, drafts, review, exports and the outreach log."""
