// Drives Glint's /dashboard (noauth) in headless Chromium: upload an image and
// watch it become active, create one from a URL served here on loopback,
// page, search and sort, edit, set metadata from the catalog, share and
// accept as the other project, deactivate and reactivate, delete, and
// see an error in words. A screenshot of every step is saved.
import http from "node:http";
import path from "node:path";
import assert from "node:assert/strict";

import { TIMEOUT, launch, shot, row, waitStatus, act } from "./lib.mjs";

const BASE = process.env.GLINT_URL;

/** Image bytes served on loopback for "create from a URL". */
function serveImage(bytes) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length });
      res.end(bytes);
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** Creates an image straight through the dashboard API (for paging). */
async function apiUpload(name) {
  const form = new FormData();
  form.append("name", name);
  form.append("disk_format", "raw");
  form.append("data", new Blob([Buffer.from(name)]), name + ".img");
  const r = await fetch(`${BASE}/api/glance/images/`, {
    method: "POST", body: form, headers: { "X-Requested-With": "XMLHttpRequest" },
  });
  assert.equal(r.status, 201, await r.text());
}

async function actAs(page, project, role) {
  await page.fill("#noauth-project", project);
  if (role) await page.selectOption("#noauth-role", role);
  await page.click('#noauth-identity button[type="submit"]');
  await page.locator("#who").getByText(project ? `project ${project}` : "project default").waitFor();
}

async function main() {
  const { browser, page, pageErrors } = await launch();
  const source = await serveImage(Buffer.alloc(256 * 1024, 7));
  const sourceUrl = `http://127.0.0.1:${source.address().port}/disk.raw`;

  try {
    await page.goto(`${BASE}/dashboard`);
    await page.locator("#images").waitFor();
    await page.locator("#empty").waitFor();
    await shot(page, "empty-images-page");

    // Upload a small image and watch it become active.
    await page.click("#create");
    await page.setInputFiles('#image-form input[name="file"]', {
      name: "cirros.raw",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(3 * 1024 * 1024, 1),
    });
    await page.fill('#image-form input[name="name"]', "cirros-test");
    // Raw: the bytes are inspected, and these are no qcow2.
    await page.selectOption('#image-form select[name="disk_format"]', "raw");
    await page.fill('#image-form input[name="description"]', "uploaded by the browser suite");
    await shot(page, "create-from-file-form");
    await page.click("#image-submit");
    await waitStatus(page, "cirros-test", "active");
    assert.match(await row(page, "cirros-test").innerText(), /3\.0 MB/);
    await shot(page, "uploaded-image-active");

    // Create from a URL served on loopback; it turns active on its own.
    await page.click("#create");
    await page.check('#image-form input[name="source"][value="url"]');
    await page.fill('#image-form input[name="image_url"]', sourceUrl);
    await page.fill('#image-form input[name="name"]', "from-url");
    await page.selectOption('#image-form select[name="disk_format"]', "raw");
    await shot(page, "create-from-url-form");
    await page.click("#image-submit");
    await row(page, "from-url").waitFor();
    await waitStatus(page, "from-url", "active");
    assert.match(await row(page, "from-url").innerText(), /256\.0 KB/);
    await shot(page, "url-image-active");

    // A URL the server may not fetch: the error is in words.
    await page.click("#create");
    await page.check('#image-form input[name="source"][value="url"]');
    await page.fill('#image-form input[name="image_url"]', "http://10.1.2.3/disk.raw");
    await page.fill('#image-form input[name="name"]', "refused");
    await page.click("#image-submit");
    const refusal = page.locator("#image-form-error");
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /The request was not accepted: Copying image data from 10\.1\.2\.3 is not allowed/);
    await shot(page, "error-in-words");
    await page.click("#image-cancel");

    // Paging, search and sort.
    for (let i = 1; i <= 9; i += 1) await apiUpload(`bulk-${i}`);
    await page.selectOption("#page-size", "10");
    await row(page, "bulk-9").waitFor();
    assert.equal(await page.locator("#image-rows tr").count(), 10);
    assert.equal(await page.isEnabled("#next"), true);
    assert.equal(await page.isEnabled("#prev"), false);
    await page.click("#next");
    await row(page, "cirros-test").waitFor();
    assert.equal(await page.locator("#image-rows tr").count(), 1);
    assert.equal(await page.isEnabled("#prev"), true);
    await shot(page, "second-page");
    await page.click("#prev");
    await row(page, "bulk-9").waitFor();
    await page.click('th[data-sort="name"]');
    await page.locator('th.sorted-asc[data-sort="name"]').waitFor();
    await page.waitForFunction(() => document.querySelector("#image-rows tr")?.dataset.name === "bulk-1");
    await page.fill("#search", "cirros");
    await page.waitForFunction(() => document.querySelectorAll("#image-rows tr").length === 1);
    await shot(page, "sorted-and-searched");
    await page.fill("#search", "");
    await page.selectOption("#page-size", "50");
    await row(page, "cirros-test").waitFor();

    // Edit.
    await act(page, "cirros-test", "Edit");
    await page.fill('#image-form input[name="name"]', "cirros-edited");
    await page.selectOption('#image-form select[name="visibility"]', "shared");
    await page.fill('#image-form input[name="min_ram"]', "128");
    await shot(page, "edit-form");
    await page.click("#image-submit");
    await row(page, "cirros-edited").waitFor();
    assert.match(await row(page, "cirros-edited").innerText(), /shared/);
    await shot(page, "edited");

    // Metadata from the catalog.
    await act(page, "cirros-edited", "Metadata");
    await page.locator("#catalog-property option[value='hw_watchdog_action']").waitFor({ state: "attached" });
    await page.selectOption("#catalog-property", "hw_watchdog_action");
    await page.click("#catalog-add");
    await page.selectOption('#metadata-rows select[name="hw_watchdog_action"]', "reset");
    await page.selectOption("#catalog-property", "os_distro");
    await page.click("#catalog-add");
    await page.fill('#metadata-rows input[name="os_distro"]', "cirros");
    await shot(page, "metadata-from-catalog");
    await page.click('#metadata-form button[type="submit"]');
    await page.locator("#metadata-dialog").waitFor({ state: "hidden" });
    const id = await row(page, "cirros-edited").getAttribute("data-id");
    const props = await (await fetch(`${BASE}/api/glance/images/${id}/properties/`)).json();
    assert.equal(props.hw_watchdog_action, "reset");
    assert.equal(props.os_distro, "cirros");

    // Share with another project, which accepts.
    await act(page, "cirros-edited", "Share");
    await page.fill("#member-project", "proj-b");
    await page.click("#member-add");
    await page.locator('#member-list li[data-member="proj-b"]').getByText("pending").waitFor();
    await shot(page, "shared-with-project");
    await page.click('#share-form button[type="submit"]');
    await actAs(page, "proj-b", "member");
    await page.selectOption("#view", "pending");
    await row(page, "cirros-edited").waitFor();
    await shot(page, "offered-to-other-project");
    await act(page, "cirros-edited", "Accept");
    await page.locator("#message-text").getByText("accepted").waitFor();
    await page.selectOption("#view", "accepted");
    await row(page, "cirros-edited").waitFor();
    await shot(page, "accepted-by-other-project");
    await page.selectOption("#view", "");
    await actAs(page, "", null);

    // Deactivate (with confirmation) and reactivate.
    await act(page, "from-url", "Deactivate");
    await page.locator("#confirm-dialog").waitFor();
    await page.click("#confirm-ok");
    await waitStatus(page, "from-url", "deactivated");
    await shot(page, "deactivated");
    await act(page, "from-url", "Reactivate");
    await waitStatus(page, "from-url", "active");

    // Delete, with confirmation.
    await act(page, "cirros-edited", "Delete");
    await page.locator("#confirm-dialog").waitFor();
    await shot(page, "delete-confirmation");
    await page.click("#confirm-ok");
    await row(page, "cirros-edited").waitFor({ state: "detached" });
    await shot(page, "deleted");

    assert.deepEqual(pageErrors, [], "the page raised no script errors");
    console.log("dashboard browser suite (noauth): passed");
  } catch (e) {
    await shot(page, "failure").catch(() => {});
    throw e;
  } finally {
    source.close();
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
