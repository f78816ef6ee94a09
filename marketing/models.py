"""Models arrive with this app's first feature issue; the app is installed so its schema slot exists."""
