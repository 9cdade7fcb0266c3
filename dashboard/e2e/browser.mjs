import { chromium } from "playwright-core";

/**
 * Debian's Chromium, headless; nothing is downloaded. Playwright gives every launch a fresh temporary
 * profile (user data dir) and deletes it on close, and each test user gets a context of its own.
 */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
