// What the browser suites share: the browser, screenshots, table rows.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR, "node_modules") + "/");
const { chromium } = require("playwright-core");

export const TIMEOUT = 20_000;
const SHOTS = process.env.SCREENSHOTS;
const PREFIX = process.env.SCREENSHOT_PREFIX || "";
let step = 0;

/** Headless Chromium with one page; script errors are collected. */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return { browser, context, page, pageErrors };
}

/** Saves a numbered screenshot of the page. */
export async function shot(page, name) {
  step += 1;
  const file = path.join(SHOTS, `${PREFIX}${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  ✓ ${name} (${path.basename(file)})`);
}

/** The table row of the image called `name`. */
export const row = (page, name) => page.locator(`#image-rows tr[data-name="${name}"]`);

export async function waitStatus(page, name, status) {
  await row(page, name)
    .locator(".status-cell")
    .getByText(status, { exact: true })
    .waitFor({ timeout: TIMEOUT });
}

/** Clicks one of a row's action buttons. */
export async function act(page, name, action) {
  await row(page, name).getByRole("button", { name: action, exact: true }).click();
}
