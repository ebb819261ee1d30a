"""Real-browser tests: Playwright driving the system Chromium against the app served on a local port."""
