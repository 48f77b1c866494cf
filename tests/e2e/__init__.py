"""End-to-end tests in headless Debian Chromium, driven by Playwright."""
