"""What several features use: form drafts, checking typed input, replies, demo data."""
