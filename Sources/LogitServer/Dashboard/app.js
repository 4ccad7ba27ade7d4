// logit dashboard: plain JavaScript, no framework, no build step, nothing fetched but this server's API.
// Charts are SVG drawn here. Every request goes through `api`; every handler through `run`, so a failure is shown on
// the page, never thrown to the console.
"use strict";
(() => {
  // The API's paths, written into the page by the server from its own definitions (APIPath).
  const PATHS = JSON.parse(document.getElementById("api-paths").textContent);

  // The registry (names, versions, aliases, holdout metrics) as issue 13 plans it. The page switches these parts on
  // only when the server's OpenAPI document has them (`detectFeatures`), and then takes the paths from that document;
  // the strings below are the fallbacks and the names of the fields it reads. Adjust here if the contract moves.
  const REGISTRY = {
    trainingParameter: "name", // POST /models?name=…
    aliasPath: "/models/{name}/aliases/{alias}", // PUT {"version": N}
    versionsPath: "/models/{name}/versions", // GET → {"versions": [...]}
    versionsMembers: ["versions", "models", "items"],
    holdoutMembers: ["holdout", "validation", "evaluation", "validation_metrics", "holdout_metrics"],
  };
  const features = { names: false, aliasPath: null, versionsPath: null };

  const $ = (id) => document.getElementById(id);
  const FINAL = new Set(["ready", "failed"]);
  const store = { models: [], total: 0, details: new Map(), selectedId: null, selected: null, lastPredictBody: null };

  // ---------------------------------------------------------------------------------------------------------------
  // Small helpers

  /** A path pattern with its `{…}` segments filled in order. */
  function fill(pattern, ...values) {
    let index = 0;
    return pattern.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(values[index++])));
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fmt(value, digits = 4) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value !== "number") return String(value);
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value) && Math.abs(value) < 1e9) return value.toLocaleString("en");
    const magnitude = Math.abs(value);
    if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(digits - 1);
    return String(Number(value.toPrecision(digits)));
  }

  function percent(value) {
    return typeof value === "number" ? `${(value * 100).toFixed(1)} %` : "—";
  }

  /** A time, with its date only when it is not today. */
  function when(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    const today = date.toDateString() === new Date().toDateString();
    return today ? date.toLocaleTimeString() : date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
  }

  function shortId(id) {
    return String(id).slice(0, 8);
  }

  /** What a model is called: `name v3` in a registry, else the start of its id. */
  function title(model) {
    if (model && model.name) return model.version !== undefined ? `${model.name} v${model.version}` : model.name;
    return model ? shortId(model.model_id) : "";
  }

  function aliasesOf(model) {
    const aliases = model && model.aliases;
    if (Array.isArray(aliases)) return aliases.map((alias) => (typeof alias === "string" ? alias : alias.alias || alias.name)).filter(Boolean);
    if (aliases && typeof aliases === "object") return Object.keys(aliases);
    return [];
  }

  function stateBadge(state) {
    return el("span", { class: `state ${state}`, text: state });
  }

  function setResult(node, message, isError = false) {
    node.textContent = message || "";
    node.classList.toggle("error", Boolean(isError));
  }

  /** Runs an async handler; a failure is shown in `resultNode` (or the live line), never left to the console. */
  function run(resultNode, work) {
    return Promise.resolve()
      .then(work)
      .catch((error) => {
        if (error && error.name === "AbortError") return;
        const message = error && error.message ? error.message : String(error);
        if (resultNode) setResult(resultNode, message, true);
        else setLive(message);
      });
  }

  function setLive(text) {
    $("live").textContent = text;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The API

  const TOKEN_KEY = "logit.apiToken";
  let token = readToken();

  function readToken() {
    try {
      return window.localStorage.getItem(TOKEN_KEY) || "";
    } catch {
      return "";
    }
  }

  function writeToken(value) {
    token = value || "";
    try {
      if (token) window.localStorage.setItem(TOKEN_KEY, token);
      else window.localStorage.removeItem(TOKEN_KEY);
    } catch {
      // A browser without storage keeps the token for this page only.
    }
    $("token-button").textContent = token ? "API token ✓" : "API token";
  }

  /**
   * One request. `authorized` requests (training, deleting, moving an alias) carry the token when there is one; a 401
   * asks for it once and repeats the request.
   */
  async function api(method, path, { body, type, accept, signal, authorized = false } = {}) {
    const send = () => {
      const headers = {};
      if (type) headers["Content-Type"] = type;
      if (accept) headers.Accept = accept;
      if (authorized && token) headers.Authorization = `Bearer ${token}`;
      return fetch(path, { method, headers, body, signal, cache: "no-store" });
    };
    let response = await send();
    if (response.status === 401 && authorized && (await askToken(true))) response = await send();
    return response;
  }

  /** The JSON of a successful answer, or an Error carrying the problem's detail. */
  async function expectJSON(response) {
    if (response.ok) return response.status === 204 ? null : response.json();
    throw await problem(response);
  }

  async function problem(response) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      detail = body.detail || body.error || body.title || detail;
    } catch {
      // Not JSON: the status line says enough.
    }
    return new Error(detail);
  }

  function askToken(refused) {
    const dialog = $("token-dialog");
    $("token-why").textContent = refused
      ? "This server needs its API token for this. It is kept in this browser and sent as Authorization: Bearer."
      : "Training, deleting and moving aliases send this token (Authorization: Bearer) when the server asks for one. It is kept in this browser.";
    $("token-input").value = token;
    return new Promise((resolve) => {
      dialog.addEventListener(
        "close",
        () => {
          if (dialog.returnValue === "save") writeToken($("token-input").value.trim());
          else if (dialog.returnValue === "clear") writeToken("");
          resolve(dialog.returnValue === "save" && Boolean(token));
        },
        { once: true },
      );
      dialog.returnValue = "cancel";
      dialog.showModal();
      $("token-input").focus();
    });
  }

  /** Names, versions and aliases appear when the server's OpenAPI document has them. */
  async function detectFeatures() {
    const response = await api("GET", PATHS.openAPI);
    if (!response.ok) return;
    const documentPaths = (await response.json()).paths || {};
    const training = (documentPaths[PATHS.models] || {}).post || {};
    features.names = (training.parameters || []).some((parameter) => parameter.name === REGISTRY.trainingParameter);
    const known = Object.keys(documentPaths);
    features.aliasPath = known.find((path) => /\/aliases\/\{[^}]+\}$/.test(path) && documentPaths[path].put) || null;
    features.versionsPath = known.find((path) => /\/versions$/.test(path) && documentPaths[path].get) || null;
    if (features.names) {
      features.aliasPath = features.aliasPath || REGISTRY.aliasPath;
      features.versionsPath = features.versionsPath || REGISTRY.versionsPath;
    }
    $("train-name-field").hidden = !features.names;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The model list, kept live: one long-poll (`?wait=`) on a model that is queued or training, the list read again
  // whenever a state changes; a slow refresh finds models trained by other clients.

  const LIST_LIMIT = 50;
  const WAIT_SECONDS = 25;
  const REFRESH_MS = 20000;
  let watch = null;
  let progressWatch = null;

  async function loadModels() {
    const response = await api("GET", `${PATHS.models}?limit=${LIST_LIMIT}`);
    if (!response.ok) {
      setLive(`the API answered ${response.status}; retrying`);
      return;
    }
    const listing = await response.json();
    store.models = listing.models || [];
    store.total = listing.total || store.models.length;
    renderModels();
    await fillListDetails();
    await fillAliases();
    ensureWatch();
    renderCompareNames();
  }

  /** The listing names each model's name and version; its aliases come from the name's versions document
   *  (`{"aliases": {"production": 2}, …}`), read once per name on the page at each refresh. */
  async function fillAliases() {
    if (!features.versionsPath) return;
    const names = [...new Set(store.models.map((item) => item.name).filter(Boolean))];
    let changed = false;
    for (const name of names) {
      const response = await api("GET", fill(features.versionsPath, name));
      if (!response.ok) continue;
      const answer = await response.json();
      const byVersion = new Map();
      for (const [alias, version] of Object.entries(answer.aliases || {})) {
        byVersion.set(version, [...(byVersion.get(version) || []), alias]);
      }
      for (const item of store.models.filter((model) => model.name === name)) {
        const aliases = (byVersion.get(item.version) || []).sort();
        if (JSON.stringify(aliasesOf(item)) !== JSON.stringify(aliases)) {
          item.aliases = aliases;
          changed = true;
        }
      }
    }
    if (changed) renderModels();
  }

  /** The list's accuracy and seconds come from each model's metadata: read once for a settled model (it never changes). */
  async function fillListDetails() {
    const missing = store.models.filter((item) => FINAL.has(item.state) && !store.details.has(item.model_id) && item.state === "ready");
    const queue = missing.slice();
    const workers = Array.from({ length: Math.min(3, queue.length) }, async () => {
      while (queue.length) {
        const item = queue.shift();
        const response = await api("GET", fill(PATHS.model, item.model_id));
        if (response.ok) store.details.set(item.model_id, await response.json());
      }
    });
    await Promise.all(workers);
    if (missing.length) renderModels();
  }

  function accuracyOf(model) {
    const summary = model && model.summary;
    if (!summary) return null;
    const holdout = holdoutOf(summary);
    if (holdout && typeof holdout.accuracy === "number") return { value: holdout.accuracy, kind: "holdout" };
    if (typeof summary.validation_accuracy === "number") return { value: summary.validation_accuracy, kind: "holdout" };
    if (typeof summary.train_accuracy === "number") return { value: summary.train_accuracy, kind: "training" };
    return null;
  }

  function renderModels() {
    const body = $("models-body");
    body.replaceChildren();
    $("models-empty").hidden = store.models.length > 0;
    $("models-table").hidden = store.models.length === 0;
    for (const item of store.models) {
      const detail = store.details.get(item.model_id);
      const merged = { ...detail, ...item, summary: item.summary || (detail && detail.summary) };
      const accuracy = accuracyOf(merged);
      const seconds = merged.summary && merged.summary.training_seconds;
      const link = el("a", { href: `#model=${item.model_id}`, title: item.model_id, class: item.name ? "" : "mono" }, title(item));
      const row = el(
        "tr",
        { "data-model-id": item.model_id, "aria-selected": String(item.model_id === store.selectedId) },
        el("td", {}, link, aliasesOf(item).map((alias) => el("span", { class: "alias", text: alias }))),
        el("td", {}, stateBadge(item.state)),
        el("td", { class: "narrow-hide", text: when(item.created_at) }),
        el("td", { class: "narrow-hide", text: (item.classes || []).join(", "), title: (item.classes || []).join(", ") }),
        el("td", { class: "num narrow-hide", text: `${fmt(item.n_samples)} × ${fmt(item.n_features)}` }),
        el("td", { class: "num", title: accuracy ? `${accuracy.kind} accuracy` : "" }, accuracy ? `${percent(accuracy.value)} ${accuracy.kind === "holdout" ? "(holdout)" : ""}` : "—"),
        el("td", { class: "num narrow-hide", text: typeof seconds === "number" ? fmt(seconds, 2) : "—" }),
      );
      row.addEventListener("click", (event) => {
        if (event.target.closest("a")) return;
        location.hash = `model=${item.model_id}`;
      });
      body.append(row);
    }
    const more = $("models-more");
    more.hidden = store.total <= store.models.length;
    more.textContent = `Showing the newest ${store.models.length} of ${store.total}.`;
    const active = store.models.filter((item) => !FINAL.has(item.state)).length;
    setLive(active ? `live · ${active} queued or training` : "live · idle");
  }

  /** Keeps one long-poll on a model that is not settled: the selected one if it trains, else the newest such. */
  function ensureWatch() {
    const pending = store.models.filter((item) => !FINAL.has(item.state));
    const target = pending.find((item) => item.model_id === store.selectedId) || pending[0];
    if (watch && target && watch.id === target.model_id) return;
    if (watch) watch.controller.abort();
    watch = null;
    if (!target) return;
    const controller = new AbortController();
    watch = { id: target.model_id, controller };
    run(null, () => watchLoop(target.model_id, target.state, controller));
  }

  async function watchLoop(id, state, controller) {
    let known = state;
    try {
      while (!controller.signal.aborted) {
        let response;
        try {
          response = await api("GET", `${fill(PATHS.checkStatus, id)}?wait=${WAIT_SECONDS}`, { signal: controller.signal });
        } catch (error) {
          if (error.name === "AbortError") return;
          setLive("the API is unreachable; trying again");
          await pause(RETRY_MS, controller.signal);
          continue;
        }
        if (!response.ok) {
          // Deleted meanwhile, or Redis away (503): read the list again after a pause, then watch what is left.
          await pause(RETRY_MS, controller.signal);
          await loadModels();
          return;
        }
        const status = await response.json();
        if (status.state !== known) {
          known = status.state;
          if (id === store.selectedId) await loadSelected();
          await loadModels();
          if (FINAL.has(known)) return;
        }
      }
    } finally {
      if (watch && watch.controller === controller) {
        watch = null;
        if (!controller.signal.aborted) ensureWatch();
      }
    }
  }

  const RETRY_MS = 3000;

  /** Resolves after `ms`, or at once when `signal` aborts. */
  function pause(ms, signal) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // One model

  async function selectModel(id) {
    store.selectedId = id;
    for (const row of $("models-body").children) row.setAttribute("aria-selected", String(row.dataset.modelId === id));
    setResult($("model-action-result"), "");
    await loadSelected();
    ensureWatch();
  }

  async function loadSelected() {
    const id = store.selectedId;
    if (!id) return;
    const response = await api("GET", fill(PATHS.model, id));
    if (response.status === 404) {
      store.selected = null;
      renderDetail(null, "This model no longer exists.");
      return;
    }
    const model = await expectJSON(response);
    if (id !== store.selectedId) return;
    store.selected = model;
    if (FINAL.has(model.state)) store.details.set(id, model);
    renderDetail(model);
    watchProgress(model);
  }

  /** While the shown model trains: its metadata again each second (`?wait=1` answers at once on a state change). */
  function watchProgress(model) {
    if (progressWatch && progressWatch.id === model.model_id && !FINAL.has(model.state)) return;
    if (progressWatch) progressWatch.controller.abort();
    progressWatch = null;
    if (FINAL.has(model.state)) return;
    const controller = new AbortController();
    progressWatch = { id: model.model_id, controller };
    run(null, async () => {
      try {
        while (!controller.signal.aborted && store.selectedId === model.model_id) {
          const response = await api("GET", `${fill(PATHS.model, model.model_id)}?wait=1`, { signal: controller.signal });
          if (!response.ok) break;
          const next = await response.json();
          if (store.selectedId !== next.model_id) break;
          store.selected = next;
          renderDetail(next);
          if (FINAL.has(next.state)) {
            store.details.set(next.model_id, next);
            break;
          }
        }
      } finally {
        if (progressWatch && progressWatch.controller === controller) progressWatch = null;
      }
    });
  }

  function renderDetail(model, message) {
    $("model-body").hidden = !model;
    $("model-none").hidden = Boolean(model);
    if (!model) {
      $("model-none").textContent = message || "Choose a model in the list.";
      $("model-title").textContent = "Model";
      renderPredictTarget(null);
      return;
    }
    $("model-title").textContent = model.name ? `Model ${title(model)}` : `Model ${model.model_id}`;
    $("model-state").className = `state ${model.state}`;
    $("model-state").textContent = model.state;
    $("model-aliases").replaceChildren(...aliasesOf(model).map((alias) => el("span", { class: "alias", text: alias })));

    const progress = model.progress || {};
    const training = !FINAL.has(model.state);
    $("model-progress").hidden = !training;
    if (training) {
      const fraction = progress.max_iter ? Math.min(1, (progress.iteration || 0) / progress.max_iter) : 0;
      $("model-progress-fill").style.width = `${Math.max(2, fraction * 100)}%`;
      $("model-progress").querySelector(".bar").setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
      const phase = progress.phase || model.state;
      $("model-progress-text").textContent =
        `${phase} · iteration ${fmt(progress.iteration || 0)} of at most ${fmt(progress.max_iter)}` +
        (typeof progress.objective === "number" ? ` · objective ${fmt(progress.objective, 6)}` : "");
    }

    $("model-failure").hidden = !model.error;
    $("model-failure").textContent = model.error ? `Training failed: ${model.error}` : "";
    const warnings = model.warnings || [];
    $("model-warnings").hidden = warnings.length === 0;
    $("model-warnings").replaceChildren(...warnings.map((warning) => el("li", { text: warning })));

    const ready = model.state === "ready";
    for (const [id, format] of [["export-onnx", "onnx"], ["export-json", "json"]]) {
      const link = $(id);
      if (ready) {
        link.href = `${fill(PATHS.export, model.model_id)}?format=${format}`;
        link.setAttribute("download", `${model.name || model.model_id}${model.version !== undefined ? `-v${model.version}` : ""}.${format}`);
        link.removeAttribute("aria-disabled");
        link.hidden = false;
      } else {
        link.removeAttribute("href");
        link.hidden = true;
      }
    }
    $("alias-controls").hidden = !(features.aliasPath && model.name && model.version !== undefined && ready);

    renderKeyValues($("model-params"), [
      ...(model.name ? [["id", model.model_id], ["version", model.version]] : []),
      ["classes", (model.classes || []).join(", ")],
      ["rows × features", `${fmt(model.n_samples)} × ${fmt(model.n_features)}`],
      ...Object.entries(model.params || {}),
      ...Object.entries(model.format || {}).map(([key, value]) => [key, typeof value === "object" ? JSON.stringify(value) : value]),
      ["created", when(model.created_at)],
      ["started", when(model.started_at)],
      ["finished", when(model.finished_at)],
      ["attempts", model.attempts],
    ]);
    const summary = model.summary || {};
    renderKeyValues(
      $("model-summary"),
      Object.entries(summary)
        .filter(([key, value]) => key !== "objective_history" && (value === null || typeof value !== "object"))
        .map(([key, value]) => [key, /accuracy/.test(key) ? percent(value) : value]),
    );
    renderHoldout(model);
    drawObjective($("objective-chart"), summary.objective_history, training ? progress : null);
    drawCoefficients($("coef-chart"), model);
    renderPredictTarget(model);
  }

  function renderKeyValues(list, pairs) {
    list.replaceChildren();
    for (const [key, value] of pairs) {
      if (value === undefined || value === null) continue;
      list.append(el("dt", { text: key }), el("dd", { text: fmt(value) }));
    }
  }

  /** The holdout's metrics object in a summary, wherever the registry puts it (`REGISTRY.holdoutMembers`). */
  function holdoutOf(summary) {
    if (!summary) return null;
    for (const member of REGISTRY.holdoutMembers) {
      const value = summary[member];
      if (value && typeof value === "object" && !Array.isArray(value)) return value;
    }
    return null;
  }

  function renderHoldout(model) {
    const holdout = holdoutOf(model.summary);
    $("holdout").hidden = !holdout;
    if (!holdout) return;
    renderKeyValues(
      $("holdout-metrics"),
      Object.entries(holdout)
        .filter(([, value]) => typeof value === "number" || typeof value === "string")
        .map(([key, value]) => [key, /accuracy/.test(key) ? percent(value) : value]),
    );
    // Per class: an array of objects, or an object keyed by class.
    const perClassMember = Object.keys(holdout).find((key) => /per_?class|classes_metrics|by_class/.test(key));
    const perClass = perClassMember ? holdout[perClassMember] : null;
    const perClassTable = $("holdout-per-class");
    perClassTable.replaceChildren();
    let rows = [];
    if (Array.isArray(perClass)) rows = perClass.map((entry, index) => [entry.class ?? entry.label ?? model.classes[index], entry]);
    else if (perClass && typeof perClass === "object") rows = Object.entries(perClass);
    const columns = [...new Set(rows.flatMap(([, entry]) => Object.keys(entry).filter((key) => typeof entry[key] === "number")))];
    perClassTable.hidden = rows.length === 0;
    if (rows.length) {
      perClassTable.append(el("tr", {}, el("th", { text: "class" }), columns.map((column) => el("th", { text: column }))));
      for (const [label, entry] of rows) perClassTable.append(el("tr", {}, el("th", { text: label }), columns.map((column) => el("td", { text: fmt(entry[column]) }))));
    }
    // The confusion matrix: a square array, or {labels|classes, matrix|counts}.
    const confusionMember = Object.keys(holdout).find((key) => /confusion/.test(key));
    let matrix = confusionMember ? holdout[confusionMember] : null;
    let labels = model.classes || [];
    if (matrix && !Array.isArray(matrix)) {
      labels = matrix.labels || matrix.classes || labels;
      matrix = matrix.matrix || matrix.counts || null;
    }
    const table = $("confusion");
    table.replaceChildren();
    const valid = Array.isArray(matrix) && matrix.every((row) => Array.isArray(row));
    table.hidden = !valid;
    $("confusion-title").hidden = !valid;
    if (!valid) return;
    const largest = Math.max(1, ...matrix.flat());
    table.append(el("tr", {}, el("th", { text: "true \\ predicted" }), labels.map((label) => el("th", { scope: "col", text: label }))));
    matrix.forEach((row, i) => {
      table.append(
        el(
          "tr",
          {},
          el("th", { scope: "row", text: labels[i] ?? i }),
          row.map((count, j) => {
            const strength = count / largest;
            const colour = i === j ? `rgba(24,121,78,${0.12 + 0.6 * strength})` : `rgba(194,47,47,${count ? 0.1 + 0.6 * strength : 0})`;
            return el("td", { style: `background:${colour}`, text: fmt(count) });
          }),
        ),
      );
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Charts

  /** The objective by iteration on a log scale, with gridlines at 1, 2, 5 × 10^k. */
  function drawObjective(container, history, progress) {
    container.replaceChildren();
    const values = (history || []).map(Number).filter((value) => Number.isFinite(value) && value > 0);
    if (values.length < 2) {
      container.append(el("p", { class: "hint", text: progress ? "The curve appears when the fit ends." : "No objective history." }));
      return;
    }
    // Drawn at the container's width, so its text stays readable in a narrow window.
    const width = Math.round(Math.max(280, Math.min(760, container.clientWidth || 640)));
    const height = width < 480 ? 200 : 240, left = 56, right = 14, top = 12, bottom = 36;
    let low = Math.log10(Math.min(...values)), high = Math.log10(Math.max(...values));
    if (high - low < 0.05) {
      low -= 0.05;
      high += 0.05;
    }
    const pad = (high - low) * 0.05;
    low -= pad;
    high += pad;
    const x = (index) => left + (index / (values.length - 1)) * (width - left - right);
    const y = (value) => top + ((high - Math.log10(value)) / (high - low)) * (height - top - bottom);
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width,
      role: "img",
      "aria-label": `Objective by iteration, log scale: ${fmt(values[0])} at the start, ${fmt(values[values.length - 1])} after ${values.length - 1} iterations`,
      "data-points": values.length,
    });
    let previous = -Infinity;
    for (const tick of logTicks(low, high).reverse()) {
      const position = y(tick);
      if (Math.abs(position - previous) < 16) continue;
      previous = position;
      chart.append(svg("line", { class: "gridline", x1: left, x2: width - right, y1: position, y2: position }));
      chart.append(svg("text", { x: left - 6, y: position + 4, "text-anchor": "end" }, fmt(tick, 3)));
    }
    for (const tick of linearTicks(0, values.length - 1, 6)) {
      chart.append(svg("text", { x: x(tick), y: height - bottom + 16, "text-anchor": "middle" }, fmt(tick)));
    }
    chart.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: height - bottom }));
    chart.append(svg("line", { class: "axis", x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }));
    chart.append(svg("text", { x: (left + width - right) / 2, y: height - 4, "text-anchor": "middle" }, "iteration"));
    const d = values.map((value, index) => `${index ? "L" : "M"}${x(index).toFixed(1)},${y(value).toFixed(1)}`).join("");
    chart.append(svg("path", { class: "curve", d }));
    const last = values[values.length - 1];
    chart.append(svg("circle", { cx: x(values.length - 1), cy: y(last), r: 3.5, fill: "#2457c5" }));
    container.append(chart);
  }

  function logTicks(low, high) {
    const ticks = [];
    const span = high - low;
    const steps = span > 3 ? [1] : span > 1 ? [1, 2, 5] : span > 0.4 ? [1, 2, 3, 5] : [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9];
    for (let power = Math.floor(low); power <= Math.ceil(high); power++) {
      for (const step of steps) {
        const value = step * 10 ** power;
        const log = Math.log10(value);
        if (log >= low && log <= high) ticks.push(value);
      }
    }
    return ticks.length > 12 ? ticks.filter((_, index) => index % Math.ceil(ticks.length / 10) === 0) : ticks;
  }

  function linearTicks(low, high, count) {
    if (high <= low) return [low];
    const raw = (high - low) / count;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw) || raw;
    const ticks = [];
    for (let tick = Math.ceil(low / step) * step; tick <= high + 1e-9; tick += step) ticks.push(Math.round(tick * 1e6) / 1e6);
    return ticks;
  }

  /** Blue for negative, red for positive, white at zero; `t` in [−1, 1]. */
  function divergingColour(t) {
    const clamped = Math.max(-1, Math.min(1, t));
    const [r, g, b] = clamped >= 0 ? [194, 47, 47] : [36, 87, 197];
    const mix = (channel) => Math.round(255 + (channel - 255) * Math.abs(clamped));
    return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
  }

  function drawCoefficients(container, model) {
    container.replaceChildren();
    const coefficients = model.coefficients;
    if (!coefficients || !Array.isArray(coefficients.coef) || coefficients.coef.length === 0) {
      container.append(el("p", { class: "hint", text: model.state === "ready" ? "No coefficients." : "The coefficients appear when the fit ends." }));
      return;
    }
    const classes = model.classes || [];
    const rowLabels =
      coefficients.coef.length === 1 && classes.length === 2 ? [`${classes[1]} (vs ${classes[0]})`] : coefficients.coef.map((_, index) => classes[index] ?? `class ${index}`);
    const featureCount = coefficients.coef[0].length;
    const names = Array.from({ length: featureCount }, (_, index) => (model.feature_names && model.feature_names[index]) || `x${index + 1}`);
    heatMap(container, {
      rows: rowLabels,
      columns: names,
      values: coefficients.coef,
      side: coefficients.intercept,
      label: "Coefficients, class × feature",
    });
  }

  const MAX_COLUMNS = 80;

  /** A class × feature heat map; `side` (the intercepts) is written at the end of each row. */
  function heatMap(container, { rows, columns, values, side, label }) {
    const shown = Math.min(columns.length, MAX_COLUMNS);
    const rowHeight = 28;
    const longestRow = Math.max(...rows.map((row) => String(row).length));
    const longestColumn = Math.max(...columns.slice(0, shown).map((column) => String(column).length));
    const left = Math.min(220, 12 + longestRow * 7);
    // Cells as wide as the container allows (at most 56 px), so the map is drawn at its size, not shrunk.
    const available = Math.max(280, container.clientWidth || 640) - left - (side ? 84 : 0) - 8;
    const cell = Math.max(10, Math.min(56, Math.floor(available / shown)));
    const rotate = longestColumn * 6.5 > cell - 4;
    const top = rotate ? Math.min(140, 16 + longestColumn * 5.2) : 22;
    const sideWidth = side ? 84 : 0;
    const width = left + shown * cell + sideWidth + 8;
    const height = top + rows.length * rowHeight + 30;
    const largest = Math.max(1e-12, ...values.flatMap((row) => row.slice(0, shown).map((value) => Math.abs(value))));
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width,
      role: "img",
      "aria-label": `${label}: ${rows.length} × ${columns.length}, largest magnitude ${fmt(largest)}`,
      "data-rows": rows.length,
      "data-columns": shown,
    });
    // Narrow cells: a name on every few columns only (each cell's title names its feature).
    const labelEvery = Math.ceil(14 / cell);
    columns.slice(0, shown).forEach((column, j) => {
      if (j % labelEvery !== 0) return;
      const cx = left + j * cell + cell / 2;
      chart.append(
        svg("text", rotate ? { x: cx, y: top - 6, transform: `rotate(-40 ${cx} ${top - 6})`, "text-anchor": "start" } : { x: cx, y: top - 6, "text-anchor": "middle" }, column),
      );
    });
    rows.forEach((row, i) => {
      const cy = top + i * rowHeight;
      chart.append(svg("text", { x: left - 6, y: cy + rowHeight / 2 + 4, "text-anchor": "end" }, row));
      values[i].slice(0, shown).forEach((value, j) => {
        const rect = svg("rect", {
          x: left + j * cell,
          y: cy,
          width: cell - 1,
          height: rowHeight - 1,
          fill: divergingColour(value / largest),
          "data-value": value,
          class: "cell",
        });
        rect.append(svg("title", {}, `${row} × ${columns[j]}: ${fmt(value, 6)}`));
        chart.append(rect);
        if (cell >= 40) {
          const dark = Math.abs(value / largest) > 0.6;
          const text = svg("text", { x: left + j * cell + cell / 2, y: cy + rowHeight / 2 + 4, "text-anchor": "middle", class: "cell-text" }, fmt(value, 2));
          if (dark) text.setAttribute("style", "fill:#fff");
          chart.append(text);
        }
      });
      if (side && side[i] !== undefined) {
        chart.append(svg("text", { x: left + shown * cell + 8, y: cy + rowHeight / 2 + 4 }, `b = ${fmt(side[i], 3)}`));
      }
    });
    // Legend: the colour scale.
    const legendY = height - 16;
    const steps = 11;
    for (let k = 0; k < steps; k++) {
      const t = -1 + (2 * k) / (steps - 1);
      chart.append(svg("rect", { x: left + k * 12, y: legendY, width: 12, height: 8, fill: divergingColour(t) }));
    }
    chart.append(svg("text", { x: left + steps * 12 + 6, y: legendY + 8 }, `−${fmt(largest, 3)} … 0 … +${fmt(largest, 3)}`));
    container.append(chart);
    if (shown < columns.length) container.append(el("p", { class: "hint", text: `The first ${shown} of ${columns.length} features.` }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Actions on a model

  async function moveAlias() {
    const model = store.selected;
    const alias = $("alias-name").value.trim();
    if (!model || !alias) throw new Error("Name the alias first.");
    const response = await api("PUT", fill(features.aliasPath, model.name, alias), {
      body: JSON.stringify({ version: model.version }),
      type: "application/json",
      authorized: true,
    });
    await expectJSON(response);
    setResult($("model-action-result"), `${alias} → ${model.name} v${model.version}`);
    await loadModels();
    await loadSelected();
  }

  async function deleteModel() {
    const model = store.selected;
    if (!model) return;
    if (!window.confirm(`Delete model ${title(model)} (${model.model_id})? This cannot be undone.`)) return;
    if (progressWatch) progressWatch.controller.abort();
    if (watch && watch.id === model.model_id) watch.controller.abort();
    const response = await api("DELETE", fill(PATHS.model, model.model_id), { authorized: true });
    await expectJSON(response);
    store.details.delete(model.model_id);
    store.selectedId = null;
    store.selected = null;
    history.replaceState(null, "", location.pathname);
    renderDetail(null, `Deleted ${title(model)}.`);
    await loadModels();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Training

  async function train(event) {
    event.preventDefault();
    const result = $("train-result");
    const file = $("train-file").files[0];
    const text = $("train-text").value;
    if (!file && !text.trim()) throw new Error("Choose a CSV file or paste one.");
    const query = new URLSearchParams();
    const add = (name, value) => {
      if (value !== undefined && value !== null && String(value).trim() !== "") query.set(name, String(value).trim());
    };
    if (features.names) add(REGISTRY.trainingParameter, $("train-name").value);
    add("C", $("train-C").value);
    add("max_iter", $("train-max-iter").value);
    if ($("train-header").value !== "auto") add("header", $("train-header").value);
    add("label", $("train-label").value);
    add("validation_fraction", $("train-holdout").value);
    const type = file && /\.tsv$/i.test(file.name) ? "text/tab-separated-values" : "text/csv";
    setResult(result, "Uploading…");
    $("train-submit").disabled = true;
    try {
      const path = query.toString() ? `${PATHS.models}?${query}` : PATHS.models;
      const accepted = await expectJSON(await api("POST", path, { body: file || text, type, authorized: true }));
      setResult(result, `Queued ${accepted.name ? `${accepted.name} v${accepted.version}` : accepted.model_id}.`);
      location.hash = `model=${accepted.model_id}`;
      await loadModels();
    } finally {
      $("train-submit").disabled = false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Predictions

  function renderPredictTarget(model) {
    const ready = Boolean(model && model.state === "ready");
    $("predict-submit").disabled = !ready;
    $("predict-download").disabled = !ready || !store.lastPredictBody;
    $("predict-model").textContent = ready
      ? `With ${title(model)}: ${model.n_features} features${model.feature_names ? ` (${model.feature_names.join(", ")})` : ""}.`
      : model
        ? `${title(model)} is ${model.state}; predictions need a ready model.`
        : "Choose a ready model.";
  }

  function predictBody() {
    const file = $("predict-file").files[0];
    const text = $("predict-text").value;
    if (!file && !text.trim()) throw new Error("Paste rows or choose a file.");
    return file || text;
  }

  async function predict(event) {
    event.preventDefault();
    const model = store.selected;
    if (!model || model.state !== "ready") throw new Error("Choose a ready model.");
    const body = predictBody();
    const answer = await expectJSON(await api("POST", fill(PATHS.predict, model.model_id), { body, type: "text/csv", accept: "application/json" }));
    store.lastPredictBody = body;
    $("predict-download").disabled = false;
    renderPredictions(answer);
    setResult($("predict-result"), `${answer.predictions.length} row${answer.predictions.length === 1 ? "" : "s"} predicted by ${title(model)}.`);
  }

  const MAX_SHOWN_ROWS = 200;

  function renderPredictions(answer) {
    const table = $("predictions");
    table.replaceChildren(el("tr", {}, el("th", { text: "#" }), el("th", { text: "label" }), el("th", { text: "probabilities" })));
    answer.predictions.slice(0, MAX_SHOWN_ROWS).forEach((label, index) => {
      const probabilities = answer.prediction_probability[index] || [];
      const best = probabilities.indexOf(Math.max(...probabilities));
      const bars = answer.classes.map((name, k) =>
        el(
          "div",
          { class: k === best ? "prob best" : "prob" },
          el("span", { text: name, title: name }),
          el("span", { class: "track" }, el("span", { class: "fill", style: `display:block;width:${(probabilities[k] * 100).toFixed(2)}%` })),
          el("span", { class: "pct", text: percent(probabilities[k]) }),
        ),
      );
      table.append(el("tr", {}, el("td", { text: index + 1 }), el("td", { class: "label", text: label }), el("td", {}, bars)));
    });
    table.hidden = false;
    if (answer.predictions.length > MAX_SHOWN_ROWS) {
      table.append(el("tr", {}, el("td", { colspan: 3, class: "hint", text: `The first ${MAX_SHOWN_ROWS} of ${answer.predictions.length} rows; download the CSV for all.` })));
    }
  }

  async function downloadPredictions() {
    const model = store.selected;
    if (!model || !store.lastPredictBody) return;
    const response = await api("POST", fill(PATHS.predict, model.model_id), { body: store.lastPredictBody, type: "text/csv", accept: "text/csv" });
    if (!response.ok) throw await problem(response);
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `predictions-${model.name || shortId(model.model_id)}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Two versions of one name

  let compareSignature = "";

  function renderCompareNames() {
    const names = [...new Set(store.models.map((item) => item.name).filter(Boolean))].sort();
    $("compare-panel").hidden = !(features.names && names.length);
    if (!names.length) return;
    // Read the versions again only when the names, versions or states in the list changed.
    const signature = JSON.stringify(store.models.filter((item) => item.name).map((item) => [item.name, item.version, item.state]));
    if (signature === compareSignature) return;
    compareSignature = signature;
    const select = $("compare-name");
    const current = select.value;
    select.replaceChildren(...names.map((name) => el("option", { value: name, text: name })));
    select.value = names.includes(current) ? current : names[0];
    run($("compare-result"), loadVersions);
  }

  async function loadVersions() {
    const name = $("compare-name").value;
    let versions = store.models.filter((item) => item.name === name);
    if (features.versionsPath) {
      const response = await api("GET", fill(features.versionsPath, name));
      if (response.ok) {
        const answer = await response.json();
        const member = Array.isArray(answer) ? answer : REGISTRY.versionsMembers.map((key) => answer[key]).find(Array.isArray);
        if (member && member.length) versions = member;
      }
    }
    versions = versions.filter((item) => item.version !== undefined).sort((a, b) => b.version - a.version);
    for (const [id, preferred] of [["compare-a", 1], ["compare-b", 0]]) {
      const select = $(id);
      select.replaceChildren(...versions.map((item) => el("option", { value: item.model_id, text: `v${item.version} · ${item.state}` })));
      if (versions[preferred]) select.value = versions[preferred].model_id;
    }
  }

  async function compare(event) {
    event.preventDefault();
    const [idA, idB] = [$("compare-a").value, $("compare-b").value];
    if (!idA || !idB) throw new Error("This name needs two versions.");
    const [a, b] = await Promise.all([idA, idB].map(async (id) => expectJSON(await api("GET", fill(PATHS.model, id)))));
    const metric = (model, key) => {
      const summary = model.summary || {};
      const holdout = holdoutOf(summary) || {};
      return { holdout_accuracy: holdout.accuracy, holdout_log_loss: holdout.log_loss, holdout_macro_f1: holdout.macro_f1, holdout_roc_auc: holdout.roc_auc }[key] ?? summary[key] ?? (model.params || {})[key] ?? model[key];
    };
    const keys = ["state", "n_samples", "train_accuracy", "validation_accuracy", "holdout_accuracy", "holdout_log_loss", "holdout_macro_f1", "holdout_roc_auc", "objective", "n_iter", "converged", "training_seconds", "C", "max_iter"];
    const table = $("compare-metrics");
    table.replaceChildren(el("tr", {}, el("th", { text: "" }), el("th", { text: `A: ${title(a)}` }), el("th", { text: `B: ${title(b)}` }), el("th", { text: "B − A" })));
    for (const key of keys) {
      const [va, vb] = [metric(a, key), metric(b, key)];
      if (va === undefined && vb === undefined) continue;
      const difference = typeof va === "number" && typeof vb === "number" ? fmt(vb - va) : "";
      table.append(el("tr", {}, el("th", { text: key }), el("td", { text: fmt(va) }), el("td", { text: fmt(vb) }), el("td", { text: difference })));
    }
    table.hidden = false;
    const chart = $("compare-chart");
    chart.replaceChildren();
    const ca = a.coefficients, cb = b.coefficients;
    const comparable = ca && cb && ca.coef.length === cb.coef.length && ca.coef[0].length === cb.coef[0].length && JSON.stringify(a.classes) === JSON.stringify(b.classes);
    $("compare-diff-title").hidden = !comparable;
    if (comparable) {
      const names = Array.from({ length: ca.coef[0].length }, (_, index) => (b.feature_names && b.feature_names[index]) || `x${index + 1}`);
      const rows = ca.coef.length === 1 && b.classes.length === 2 ? [b.classes[1]] : b.classes;
      heatMap(chart, {
        rows,
        columns: names,
        values: cb.coef.map((row, i) => row.map((value, j) => value - ca.coef[i][j])),
        side: cb.intercept.map((value, i) => value - ca.intercept[i]),
        label: "Coefficients, B − A",
      });
    } else {
      chart.append(el("p", { class: "hint", text: "The two versions have different classes or features: no coefficient difference." }));
    }
    setResult($("compare-result"), "");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  function fromHash() {
    const match = /model=([^&]+)/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function start() {
    writeToken(token);
    $("docs-link").href = PATHS.docs;
    $("token-button").addEventListener("click", () => run(null, () => askToken(false)));
    $("train-form").addEventListener("submit", (event) => run($("train-result"), () => train(event)));
    $("predict-form").addEventListener("submit", (event) => run($("predict-result"), () => predict(event)));
    $("predict-download").addEventListener("click", () => run($("predict-result"), downloadPredictions));
    $("model-delete").addEventListener("click", () => run($("model-action-result"), deleteModel));
    $("alias-move").addEventListener("click", () => run($("model-action-result"), moveAlias));
    $("compare-form").addEventListener("submit", (event) => run($("compare-result"), () => compare(event)));
    $("compare-name").addEventListener("change", () => run($("compare-result"), loadVersions));
    $("train-file").addEventListener("change", () => {
      if ($("train-file").files[0]) $("train-text").value = "";
    });
    $("predict-file").addEventListener("change", () => {
      if ($("predict-file").files[0]) $("predict-text").value = "";
    });
    window.addEventListener("hashchange", () => {
      const id = fromHash();
      if (id && id !== store.selectedId) run($("model-action-result"), () => selectModel(id));
    });
    // Charts are drawn at their container's width: drawn again when the window's width changes.
    let drawnWidth = window.innerWidth;
    window.addEventListener("resize", () => {
      if (window.innerWidth === drawnWidth || !store.selected) return;
      drawnWidth = window.innerWidth;
      renderDetail(store.selected);
    });
    window.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      setLive(String(event.reason && event.reason.message ? event.reason.message : event.reason));
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") run(null, loadModels);
    });
    setInterval(() => {
      if (document.visibilityState === "visible") run(null, loadModels);
    }, REFRESH_MS);
    run(null, async () => {
      await detectFeatures();
      await loadModels();
      const id = fromHash();
      if (id) await selectModel(id);
    });
  }

  start();
})();
