"""The guided checks (kandidaat, traject, cofinanciering) and their log."""
