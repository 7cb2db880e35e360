"""Progress figures and charts, regions and their division and target per year."""
