// Signs in to /dashboard on a Glint that validates Keystone tokens (a real
// Keystone from tests/keystone): a refused password, alpha-member's
// session in an HttpOnly SameSite=Strict cookie, an upload, a write
// without the CSRF token refused, sharing with project beta, sign-out, and
// beta-member accepting the image.
import assert from "node:assert/strict";

import { launch, shot, row, waitStatus, act } from "./lib.mjs";

const BASE = process.env.GLINT_URL;
const BETA_PROJECT_ID = process.env.BETA_PROJECT_ID;

async function signIn(page, user, password, project) {
  await page.locator("#login").waitFor();
  await page.fill('#login-form input[name="username"]', user);
  await page.fill('#login-form input[name="password"]', password);
  await page.fill('#login-form input[name="project"]', project);
  await page.click('#login-form button[type="submit"]');
}

async function main() {
  const { browser, context, page, pageErrors } = await launch();
  try {
    await page.goto(`${BASE}/dashboard`);
    await page.locator("#login").waitFor();
    assert.equal(await page.isVisible("#images"), false);
    await shot(page, "sign-in-form");

    await signIn(page, "alpha-member", "not-the-password", "alpha");
    await page.locator("#message-text").getByText("Sign-in failed").waitFor();
    assert.match(await page.innerText("#message-text"), /user name or password is wrong/);
    await shot(page, "sign-in-refused");

    await signIn(page, "alpha-member", "secret-alpha-member", "alpha");
    await page.locator("#images").waitFor();
    await page.locator("#who").getByText("alpha-member · project alpha").waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "glint_session");
    assert.ok(session, "the session cookie is set");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.equal(await page.evaluate(() => document.cookie.includes("glint_session")), false);
    await shot(page, "signed-in");

    await page.click("#create");
    await page.setInputFiles('#image-form input[name="file"]', {
      name: "alpha.raw", mimeType: "application/octet-stream", buffer: Buffer.alloc(64 * 1024, 2),
    });
    await page.fill('#image-form input[name="name"]', "alpha-image");
    await page.selectOption('#image-form select[name="visibility"]', "shared");
    await page.click("#image-submit");
    await waitStatus(page, "alpha-image", "active");
    await shot(page, "keystone-upload-active");

    // The cookie alone does not make a write: the CSRF token must come too.
    const forged = await page.evaluate(async () => {
      const r = await fetch("/api/glance/images/", {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest" },
        body: "{}",
      });
      return [r.status, await r.json()];
    });
    assert.deepEqual(forged, [403, "CSRF token missing or incorrect."]);

    await act(page, "alpha-image", "Share");
    await page.fill("#member-project", BETA_PROJECT_ID);
    await page.click("#member-add");
    await page.locator(`#member-list li[data-member="${BETA_PROJECT_ID}"]`).getByText("pending").waitFor();
    await shot(page, "keystone-shared-with-beta");
    await page.click('#share-form button[type="submit"]');

    await page.click("#sign-out");
    await page.locator("#login").waitFor();
    assert.equal((await context.cookies()).some((c) => c.name === "glint_session" && c.value), false);
    await page.reload();
    await page.locator("#login").waitFor();
    await shot(page, "signed-out");

    await signIn(page, "beta-member", "secret-beta-member", "beta");
    await page.locator("#who").getByText("beta-member · project beta").waitFor();
    await page.selectOption("#view", "pending");
    await row(page, "alpha-image").waitFor();
    await act(page, "alpha-image", "Accept");
    await page.locator("#message-text").getByText("accepted").waitFor();
    await page.selectOption("#view", "");
    await row(page, "alpha-image").waitFor();
    assert.equal(
      await row(page, "alpha-image").getByRole("button", { name: "Delete" }).count(), 0,
      "beta may not delete alpha's image"
    );
    await shot(page, "beta-accepted");
    await page.click("#sign-out");
    await page.locator("#login").waitFor();

    assert.deepEqual(pageErrors, [], "the page raised no script errors");
    console.log("dashboard browser suite (Keystone sign-in): passed");
  } catch (e) {
    await shot(page, "failure").catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
