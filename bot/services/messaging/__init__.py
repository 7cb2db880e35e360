"""Announcements, the delivery engine and the weekly digest."""
