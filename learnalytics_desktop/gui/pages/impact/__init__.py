"""The Impact page and its four-step wizard, with the result tables and plots."""
