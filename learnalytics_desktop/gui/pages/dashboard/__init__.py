"""Overview, Students at risk and Student pages: the advisor's dashboard."""
