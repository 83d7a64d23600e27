// Glint dashboard: the Images page on /api/glance/…, in plain JavaScript.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  session: null,          // from GET /dashboard/session
  csrf: null,             // X-CSRFToken for writes (Keystone sessions)
  sortKey: "created_at",
  sortDir: "desc",
  markers: [],            // markers of the pages before the current one
  marker: null,           // marker of the current page
  lastPage: null,         // the last list answer
  metadata: null,         // the metadata dialog's working state
  pollTimer: null,
};

// ---------------------------------------------------------------- requests

/** Identity headers for a server that trusts them (noauth). */
function noauthHeaders() {
  const project = localStorage.getItem("glint.project") || "";
  if (!project) return {};
  const role = localStorage.getItem("glint.role") || "member";
  return {
    "X-Project-Id": project,
    "X-User-Id": "dashboard-" + project,
    "X-Roles": role,
    "X-Identity-Status": "Confirmed",
  };
}

function headers(extra) {
  const h = Object.assign({ "X-Requested-With": "XMLHttpRequest" }, noauthHeaders(), extra || {});
  if (state.csrf) h["X-CSRFToken"] = state.csrf;
  return h;
}

/** An error whose message is already in words. */
class Problem extends Error {
  constructor(message, status, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

/** Words for an error answer: what happened, then the server's reason. */
function explain(status, detail) {
  const reason = (detail || "").toString().replace(/<br \/>/g, " ").trim();
  const says = {
    400: "The request was not accepted",
    401: "Your session has ended — please sign in again",
    403: "You are not allowed to do that",
    404: "That image no longer exists, or you cannot see it",
    409: "That clashes with the image's current state",
    413: "That is more than this server accepts",
    415: "The server cannot read that kind of data",
    503: "A service Glint needs is not answering; try again shortly",
  }[status] || (status >= 500 ? "The server failed to do that" : "That did not work");
  return reason && status !== 401 ? says + ": " + reason : says + ".";
}

async function detailOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return typeof body === "string" ? body : body.message || text;
  } catch (_) {
    return text;
  }
}

async function api(method, path, body) {
  const init = { method, headers: headers(), credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new Problem("The server cannot be reached. Check your connection and try again.");
  }
  if (response.status === 401 && state.session && state.session.auth === "keystone" && path !== "/dashboard/login") {
    showLogin();
  }
  if (!response.ok) {
    const detail = await detailOf(response);
    throw new Problem(explain(response.status, detail), response.status, detail);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// ---------------------------------------------------------------- messages

function say(text, kind) {
  $("message-text").textContent = text;
  $("message").classList.toggle("info", kind === "info");
  $("message").hidden = false;
}

function clearMessage() {
  $("message").hidden = true;
}

async function attempt(action, okText) {
  try {
    await action();
    if (okText) say(okText, "info");
    return true;
  } catch (e) {
    say(e instanceof Problem ? e.message : "Something went wrong: " + e.message);
    return false;
  }
}

function confirmAction(title, text, verb) {
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = verb;
  const dialog = $("confirm-dialog");
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// ---------------------------------------------------------------- session

async function start() {
  bindEvents();
  try {
    const response = await fetch("/dashboard/session", { headers: headers(), credentials: "same-origin" });
    if (response.status === 401) {
      state.session = { auth: "keystone" };
      showLogin();
      return;
    }
    if (!response.ok) throw new Problem(explain(response.status, await detailOf(response)));
    state.session = await response.json();
  } catch (e) {
    say(e instanceof Problem ? e.message : "The server cannot be reached.");
    return;
  }
  state.csrf = state.session.csrf_token;
  showImages();
}

function showLogin() {
  $("login").hidden = false;
  $("images").hidden = true;
  $("noauth-identity").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
}

function showImages() {
  const s = state.session;
  $("login").hidden = true;
  $("images").hidden = false;
  if (s.auth === "noauth") {
    $("noauth-identity").hidden = false;
    $("noauth-project").value = localStorage.getItem("glint.project") || "";
    $("noauth-role").value = localStorage.getItem("glint.role") || "member";
    $("who").textContent = "noauth · project " + (s.project_id || "—") + (s.is_admin ? " (admin)" : "");
  } else {
    $("sign-out").hidden = false;
    const names = JSON.parse(sessionStorage.getItem("glint.names") || "{}");
    $("who").textContent = (names.user || s.user_id || "") + " · project " + (names.project || s.project_id || "—");
  }
  loadImages();
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData($("login-form"));
  try {
    const answer = await api("POST", "/dashboard/login", Object.fromEntries(form.entries()));
    state.csrf = answer.csrf_token;
    sessionStorage.setItem("glint.names", JSON.stringify({ user: answer.user, project: answer.project }));
  } catch (e) {
    // A refused sign-in is not an ended session: say what the server says.
    say(e.status === 401 ? "Sign-in failed: " + e.detail : e.message);
    return;
  }
  clearMessage();
  $("login-form").reset();
  await start();
}

async function signOut() {
  await fetch("/dashboard/logout", { method: "POST", headers: headers(), credentials: "same-origin" });
  state.csrf = null;
  sessionStorage.removeItem("glint.names");
  clearTimeout(state.pollTimer);
  showLogin();
}

async function actAs(event) {
  event.preventDefault();
  localStorage.setItem("glint.project", $("noauth-project").value.trim());
  localStorage.setItem("glint.role", $("noauth-role").value);
  state.markers = [];
  state.marker = null;
  await start();
}

// ---------------------------------------------------------------- list

function listQuery() {
  const q = new URLSearchParams({ paginate: "true", sort_key: state.sortKey, sort_dir: state.sortDir });
  if (state.marker) q.set("marker", state.marker);
  const view = $("view").value;
  if (view === "mine" && state.session.project_id) q.set("owner", state.session.project_id);
  if (["pending", "accepted", "rejected"].includes(view)) {
    q.set("visibility", "shared");
    q.set("member_status", view);
  }
  for (const [id, key] of [["filter-status", "status"], ["filter-visibility", "visibility"], ["filter-format", "disk_format"]]) {
    if ($(id).value && !(key === "visibility" && q.has("visibility"))) q.set(key, $(id).value);
  }
  return q;
}

async function loadImages() {
  document.cookie = "API_RESULT_PAGE_SIZE=" + $("page-size").value + "; path=/; SameSite=Strict";
  await attempt(async () => {
    state.lastPage = await api("GET", "/api/glance/images/?" + listQuery());
    renderImages();
  });
}

function formatSize(bytes) {
  if (!bytes) return "0 B";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return (u === 0 ? n : n.toFixed(1)) + " " + units[u];
}

function formatDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (text instanceof Node) td.appendChild(text);
  else td.textContent = text == null ? "" : String(text);
  return td;
}

function actionButton(label, handler, danger) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "link" + (danger ? " danger" : "");
  b.textContent = label;
  b.addEventListener("click", handler);
  return b;
}

function renderImages() {
  const page = state.lastPage;
  const search = $("search").value.trim().toLowerCase();
  const rows = $("image-rows");
  rows.replaceChildren();
  const items = page.items.filter(
    (i) => !search || (i.name || "").toLowerCase().includes(search) || i.id.includes(search)
  );
  const view = $("view").value;
  for (const image of items) {
    const tr = document.createElement("tr");
    tr.dataset.id = image.id;
    tr.dataset.name = image.name || "";
    const status = document.createElement("span");
    status.className = "status " + image.status;
    status.textContent = image.status;
    tr.append(
      cell(image.name || "(" + image.id.slice(0, 13) + ")", "name"),
      cell(status, "status-cell"),
      cell(image.visibility),
      cell(image.protected ? "Yes" : "No"),
      cell(image.disk_format),
      cell(formatSize(image.size)),
      cell(image.owner),
      cell(formatDate(image.created_at))
    );
    const actions = cell("", "row-actions");
    const mine = state.session.is_admin || image.owner === state.session.project_id;
    if (["pending", "rejected"].includes(view)) actions.append(actionButton("Accept", () => answerShare(image, "accepted")));
    if (["pending", "accepted"].includes(view)) actions.append(actionButton("Reject", () => answerShare(image, "rejected")));
    if (mine) {
      actions.append(
        actionButton("Edit", () => openEdit(image)),
        actionButton("Metadata", () => openMetadata(image)),
        actionButton("Share", () => openShare(image))
      );
      if (image.status === "active") actions.append(actionButton("Deactivate", () => setActive(image, false)));
      if (image.status === "deactivated") actions.append(actionButton("Reactivate", () => setActive(image, true)));
      actions.append(actionButton("Delete", () => deleteImage(image), true));
    }
    tr.append(actions);
    rows.append(tr);
  }
  $("empty").hidden = items.length > 0;
  $("prev").disabled = !page.has_prev_data;
  $("next").disabled = !page.has_more_data;
  for (const th of document.querySelectorAll("th[data-sort]")) {
    th.classList.toggle("sorted-asc", th.dataset.sort === state.sortKey && state.sortDir === "asc");
    th.classList.toggle("sorted-desc", th.dataset.sort === state.sortKey && state.sortDir === "desc");
  }
  schedulePoll(page.items);
}

/** While images are on their way to active, look again shortly. */
function schedulePoll(items) {
  clearTimeout(state.pollTimer);
  if (items.some((i) => ["queued", "saving", "importing", "uploading"].includes(i.status))) {
    state.pollTimer = setTimeout(loadImages, 1500);
  }
}

function restartList() {
  state.markers = [];
  state.marker = null;
  loadImages();
}

function nextPage() {
  const items = state.lastPage.items;
  if (!items.length) return;
  state.markers.push(state.marker);
  state.marker = items[items.length - 1].id;
  loadImages();
}

function prevPage() {
  state.marker = state.markers.pop() || null;
  loadImages();
}

function sortBy(key) {
  if (state.sortKey === key) state.sortDir = state.sortDir === "asc" ? "desc" : "asc";
  else {
    state.sortKey = key;
    state.sortDir = key === "created_at" || key === "size" ? "desc" : "asc";
  }
  restartList();
}

// ---------------------------------------------------------------- actions

async function setActive(image, active) {
  const verb = active ? "reactivate" : "deactivate";
  if (!active) {
    const sure = await confirmAction(
      "Deactivate " + (image.name || image.id) + "?",
      "Nobody but administrators can download a deactivated image until it is reactivated.",
      "Deactivate"
    );
    if (!sure) return;
  }
  const ok = await attempt(
    () => api("POST", "/api/glance/images/" + image.id + "/actions/" + verb),
    "Image " + (image.name || image.id) + (active ? " reactivated." : " deactivated.")
  );
  if (ok) loadImages();
}

async function deleteImage(image) {
  const sure = await confirmAction(
    "Delete " + (image.name || image.id) + "?",
    "The image and its data are removed for good. This cannot be undone.",
    "Delete"
  );
  if (!sure) return;
  const ok = await attempt(
    () => api("DELETE", "/api/glance/images/" + image.id + "/"),
    "Image " + (image.name || image.id) + " deleted."
  );
  if (ok) loadImages();
}

async function answerShare(image, status) {
  const project = state.session.project_id;
  const ok = await attempt(
    () => api("PUT", "/api/glance/images/" + image.id + "/members/" + encodeURIComponent(project) + "/", { status }),
    "Image " + (image.name || image.id) + (status === "accepted" ? " accepted." : " rejected.")
  );
  if (ok) loadImages();
}

// ---------------------------------------------------------------- create / edit

function formFields(form) {
  const data = new FormData(form);
  return {
    name: data.get("name"),
    description: data.get("description"),
    disk_format: data.get("disk_format"),
    architecture: data.get("architecture"),
    min_disk: Number(data.get("min_disk") || 0),
    min_ram: Number(data.get("min_ram") || 0),
    visibility: data.get("visibility"),
    protected: data.get("protected") === "on",
  };
}

function setSource(source) {
  $("file-field").hidden = source !== "file";
  $("url-field").hidden = source !== "url";
}

function formError(text) {
  $("image-form-error").textContent = text || "";
  $("image-form-error").hidden = !text;
}

function openCreate() {
  const form = $("image-form");
  form.reset();
  form.dataset.mode = "create";
  delete form.dataset.id;
  $("image-dialog-title").textContent = "Create image";
  $("image-submit").textContent = "Create";
  $("source-choice").hidden = false;
  setSource("file");
  $("upload-progress").hidden = true;
  $("upload-status").textContent = "";
  formError("");
  $("image-dialog").showModal();
}

function openEdit(image) {
  const form = $("image-form");
  form.reset();
  form.dataset.mode = "edit";
  form.dataset.id = image.id;
  $("image-dialog-title").textContent = "Edit " + (image.name || image.id);
  $("image-submit").textContent = "Save";
  $("source-choice").hidden = true;
  setSource("none");
  $("upload-progress").hidden = true;
  $("upload-status").textContent = "";
  formError("");
  form.elements.name.value = image.name || "";
  form.elements.description.value = (image.properties || {}).description || "";
  form.elements.disk_format.value = image.disk_format || "raw";
  form.elements.architecture.value = image.architecture || "";
  form.elements.min_disk.value = image.min_disk || 0;
  form.elements.min_ram.value = image.min_ram || 0;
  form.elements.visibility.value = image.visibility;
  form.elements.protected.checked = !!image.protected;
  $("image-dialog").showModal();
}

/** Uploads with the form's fields first and the file last, reporting progress. */
function upload(fields, file) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      if (v !== null && v !== undefined && v !== "") body.append(k, String(v));
    }
    body.append("data", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/glance/images/");
    for (const [k, v] of Object.entries(headers())) xhr.setRequestHeader(k, v);
    const bar = $("upload-progress");
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        $("upload-status").textContent =
          "Uploading: " + formatSize(e.loaded) + " of " + formatSize(e.total) + " (" + bar.value + "%)";
      }
    });
    xhr.upload.addEventListener("load", () => {
      $("upload-status").textContent = "Upload sent; the server is storing the image…";
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText));
      else {
        let detail = xhr.responseText;
        try {
          detail = JSON.parse(xhr.responseText);
        } catch (_) { /* keep the text */ }
        reject(new Problem(explain(xhr.status, typeof detail === "string" ? detail : detail.message)));
      }
    });
    xhr.addEventListener("error", () => reject(new Problem("The upload was cut off before it finished.")));
    xhr.send(body);
  });
}

async function submitImage(event) {
  event.preventDefault();
  const form = $("image-form");
  const fields = formFields(form);
  formError("");
  $("image-submit").disabled = true;
  try {
    if (form.dataset.mode === "edit") {
      await api("PATCH", "/api/glance/images/" + form.dataset.id + "/", fields);
      say("Image " + fields.name + " saved.", "info");
    } else if (form.elements.source.value === "url") {
      const url = form.elements.image_url.value.trim();
      if (!url) throw new Problem("Give the URL the image data comes from.");
      await api("PUT", "/api/glance/images/", Object.assign(fields, {
        source_type: "url", image_url: url, import_data: true,
      }));
      say("Image " + fields.name + " created; its data is being copied in from the URL.", "info");
    } else {
      const file = form.elements.file.files[0];
      if (!file) throw new Problem("Choose the image file to upload.");
      const image = await upload(fields, file);
      say("Image " + (image.name || image.id) + " uploaded (" + formatSize(image.size) + ").", "info");
    }
    $("image-dialog").close();
    restartList();
  } catch (e) {
    formError(e instanceof Problem ? e.message : "Something went wrong: " + e.message);
  } finally {
    $("image-submit").disabled = false;
  }
}

// ---------------------------------------------------------------- metadata

/** Every property the catalog defines for images, by name. */
function catalogProperties(namespaces) {
  const found = new Map();
  for (const ns of namespaces) {
    const add = (name, schema, group) => {
      if (!found.has(name)) found.set(name, Object.assign({ group }, schema));
    };
    for (const [name, schema] of Object.entries(ns.properties || {})) {
      add(name, schema, ns.display_name || ns.namespace);
    }
    for (const object of ns.objects || []) {
      for (const [name, schema] of Object.entries(object.properties || {})) {
        add(name, schema, (ns.display_name || ns.namespace) + " › " + object.name);
      }
    }
  }
  return found;
}

async function openMetadata(image) {
  const ok = await attempt(async () => {
    const [catalog, properties] = await Promise.all([
      api("GET", "/api/glance/metadefs/namespaces/?resource_type=OS::Glance::Image"),
      api("GET", "/api/glance/images/" + image.id + "/properties/"),
    ]);
    const defined = catalogProperties(catalog.items);
    const custom = {};
    for (const [k, v] of Object.entries(properties)) {
      // Only the image's own metadata is edited here; not the service's.
      if (!["self", "os_hidden", "os_hash_algo", "os_hash_value", "direct_url", "stores", "description"].includes(k)) {
        custom[k] = v;
      }
    }
    state.metadata = { image, defined, original: custom, current: Object.assign({}, custom) };
  });
  if (!ok) return;
  $("metadata-image").textContent = image.name || image.id;
  const select = $("catalog-property");
  select.replaceChildren();
  const groups = new Map();
  for (const [name, schema] of state.metadata.defined) {
    if (!groups.has(schema.group)) {
      const g = document.createElement("optgroup");
      g.label = schema.group;
      groups.set(schema.group, g);
      select.append(g);
    }
    const option = document.createElement("option");
    option.value = name;
    option.textContent = (schema.title || name) + " (" + name + ")";
    groups.get(schema.group).append(option);
  }
  $("custom-key").value = "";
  $("metadata-error").hidden = true;
  renderMetadata();
  $("metadata-dialog").showModal();
}

function valueInput(name, value) {
  const schema = state.metadata.defined.get(name) || {};
  let input;
  if (Array.isArray(schema.enum)) {
    input = document.createElement("select");
    for (const choice of [""].concat(schema.enum)) {
      const o = document.createElement("option");
      o.value = choice;
      o.textContent = choice || "—";
      input.append(o);
    }
    input.value = value;
  } else if (schema.type === "boolean") {
    input = document.createElement("select");
    for (const choice of ["true", "false"]) {
      const o = document.createElement("option");
      o.value = choice;
      o.textContent = choice;
      input.append(o);
    }
    input.value = String(value).toLowerCase() === "true" ? "true" : "false";
  } else {
    input = document.createElement("input");
    if (schema.type === "integer" || schema.type === "number") input.type = "number";
    input.value = value;
  }
  input.name = name;
  input.addEventListener("change", () => {
    state.metadata.current[name] = input.value;
  });
  if (schema.description) input.title = schema.description;
  return input;
}

function renderMetadata() {
  const rows = $("metadata-rows");
  rows.replaceChildren();
  const names = Object.keys(state.metadata.current).sort();
  for (const name of names) {
    const tr = document.createElement("tr");
    tr.dataset.property = name;
    const schema = state.metadata.defined.get(name);
    const key = cell(name, "key");
    if (schema && schema.title) key.title = schema.title;
    tr.append(
      key,
      cell(valueInput(name, state.metadata.current[name])),
      cell(actionButton("Remove", () => {
        delete state.metadata.current[name];
        renderMetadata();
      }, true))
    );
    rows.append(tr);
  }
  if (!names.length) {
    const tr = document.createElement("tr");
    tr.append(cell("No metadata yet: add some from the catalog above.", "muted"));
    rows.append(tr);
  }
}

function addProperty(name) {
  if (!name) return;
  if (!(name in state.metadata.current)) {
    const schema = state.metadata.defined.get(name) || {};
    let initial = schema.default !== undefined ? String(schema.default) : "";
    if (!initial && Array.isArray(schema.enum) && schema.enum.length) initial = schema.enum[0];
    if (!initial && schema.type === "boolean") initial = "false";
    state.metadata.current[name] = initial;
  }
  renderMetadata();
  const input = document.querySelector('#metadata-rows [name="' + CSS.escape(name) + '"]');
  if (input) input.focus();
}

async function saveMetadata(event) {
  event.preventDefault();
  const m = state.metadata;
  for (const input of document.querySelectorAll("#metadata-rows [name]")) m.current[input.name] = input.value;
  const updated = {};
  for (const [k, v] of Object.entries(m.current)) {
    if (m.original[k] !== v) updated[k] = v;
  }
  const removed = Object.keys(m.original).filter((k) => !(k in m.current));
  try {
    await api("PATCH", "/api/glance/images/" + m.image.id + "/properties/", { updated, removed });
    $("metadata-dialog").close();
    say("Metadata of " + (m.image.name || m.image.id) + " saved.", "info");
    loadImages();
  } catch (e) {
    $("metadata-error").textContent = e instanceof Problem ? e.message : e.message;
    $("metadata-error").hidden = false;
  }
}

// ---------------------------------------------------------------- sharing

function shareError(text) {
  $("share-error").textContent = text || "";
  $("share-error").hidden = !text;
}

async function renderMembers(image) {
  const list = $("member-list");
  list.replaceChildren();
  if (image.visibility !== "shared") {
    $("share-note").textContent =
      "Only images whose visibility is “shared” can be shared with other projects. Edit the image to change its visibility.";
    $("member-add").disabled = true;
    return;
  }
  $("share-note").textContent = "Projects this image is offered to, and their answers:";
  $("member-add").disabled = false;
  try {
    const members = await api("GET", "/api/glance/images/" + image.id + "/members/");
    for (const m of members.items) {
      const li = document.createElement("li");
      li.dataset.member = m.member_id;
      const label = document.createElement("span");
      label.textContent = m.member_id + " — " + m.status;
      li.append(label, actionButton("Stop sharing", async () => {
        try {
          await api("DELETE", "/api/glance/images/" + image.id + "/members/" + encodeURIComponent(m.member_id) + "/");
          await renderMembers(image);
        } catch (e) {
          shareError(e.message);
        }
      }, true));
      list.append(li);
    }
    if (!members.items.length) $("share-note").textContent = "Not shared with any project yet.";
  } catch (e) {
    shareError(e.message);
  }
}

async function openShare(image) {
  $("share-image").textContent = image.name || image.id;
  $("share-dialog").dataset.id = image.id;
  $("member-project").value = "";
  shareError("");
  state.sharing = image;
  await renderMembers(image);
  $("share-dialog").showModal();
}

async function addMember() {
  const project = $("member-project").value.trim();
  shareError("");
  if (!project) {
    shareError("Give the ID of the project to share with.");
    return;
  }
  try {
    await api("POST", "/api/glance/images/" + state.sharing.id + "/members/", { member: project });
    $("member-project").value = "";
    await renderMembers(state.sharing);
  } catch (e) {
    shareError(e.message);
  }
}

// ---------------------------------------------------------------- wiring

function bindEvents() {
  if (state.bound) return;
  state.bound = true;
  $("login-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("noauth-identity").addEventListener("submit", actAs);
  $("message-close").addEventListener("click", clearMessage);
  $("refresh").addEventListener("click", loadImages);
  $("create").addEventListener("click", openCreate);
  $("search").addEventListener("input", () => state.lastPage && renderImages());
  for (const id of ["view", "filter-status", "filter-visibility", "filter-format", "page-size"]) {
    $(id).addEventListener("change", restartList);
  }
  $("next").addEventListener("click", nextPage);
  $("prev").addEventListener("click", prevPage);
  for (const th of document.querySelectorAll("th[data-sort]")) {
    th.addEventListener("click", () => sortBy(th.dataset.sort));
  }
  for (const radio of document.querySelectorAll('input[name="source"]')) {
    radio.addEventListener("change", () => setSource(radio.value));
  }
  $("image-form").addEventListener("submit", submitImage);
  $("image-cancel").addEventListener("click", () => $("image-dialog").close());
  $("metadata-form").addEventListener("submit", saveMetadata);
  $("metadata-cancel").addEventListener("click", () => $("metadata-dialog").close());
  $("catalog-add").addEventListener("click", () => addProperty($("catalog-property").value));
  $("custom-add").addEventListener("click", () => addProperty($("custom-key").value.trim()));
  $("member-add").addEventListener("click", addMember);
  $("share-dialog").addEventListener("close", loadImages);
}

document.addEventListener("DOMContentLoaded", start);
