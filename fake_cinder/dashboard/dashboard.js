// The dashboard's one Alpine.js component. Every read and change goes through the
// fake's /_fake/ control API. Lists come a page at a time: the volumes and the journal,
// which grow with the state, are paged (and filtered) by the server; the short lists
// (types, faults, pending work, services, backends) are paged here. A poll reads only
// what the open tab shows, and the server answers an unchanged read with a bodiless 304.
"use strict";

const TOKEN_KEY = "fake-cinder-control-token";
const TOKEN_HEADER = "X-Fake-Control-Token";
// How often the page asks for news: once a second, or ?poll=<ms> (at least 100).
const POLL_MS = Math.max(100, Number(new URLSearchParams(window.location.search).get("poll"))
  || 1000);
// Rows per page of each list.
const PAGE_SIZE = {
  volumes: 25, journal: 50, types: 25, faults: 25, pending: 25, services: 25, backends: 10,
};
// The lists the server pages; the others are sliced here from what a read returned.
const SERVER_PAGED = ["volumes", "journal"];
// What a fault can be aimed at (core/fault_injection.py's MATCH_KEYS).
const MATCH_KEYS = ["project_id", "volume_id", "attachment_id", "snapshot_id"];

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Cinder's fault body is {"<kind>": {"code": ..., "message": ...}}.
function faultMessage(body, status) {
  if (body && typeof body === "object") {
    for (const value of Object.values(body)) {
      if (value && typeof value === "object" && value.message) return value.message;
    }
  }
  return `HTTP ${status}`;
}

document.addEventListener("alpine:init", () => {
  window.Alpine.data("dashboard", () => ({
    tabs: [
      { id: "volumes", label: "volumes" },
      { id: "types", label: "types" },
      { id: "journal", label: "journal" },
      { id: "faults", label: "faults" },
      { id: "transitions", label: "transitions" },
      { id: "backends", label: "backends" },
      { id: "state", label: "state" },
    ],
    tab: "volumes",
    online: false,
    loaded: false,
    error: "",
    notice: "",
    operations: [],
    // GET /_fake/volumes?limit=&offset=&...: one page of volumes, how many match, and
    // every project (with its counts) and volume status (for the menus).
    volumesPage: { volumes: [], count: 0, projects: [], statuses: [] },
    volumeFilter: { search: "", project: "", status: "" },
    projects: [],
    types: [],
    faults: [],
    // GET /_fake/transitions: the asynchronous operations, progressions set, pending work.
    transitions: { operations: {}, progressions: {}, pending: [] },
    progressionForm: { operation: "*", mode: "polls", amount: 1 },
    backends: { backends: [], services: [], pools: [] },
    // GET /_fake/requests?order=newest&limit=&offset=&...: one page, newest first.
    journalPage: { requests: [], count: 0, total: 0,
                   facets: { operations: [], project_ids: [], statuses: [] } },
    generation: 0,
    // The text of each read's last answer: an unchanged answer is not parsed or rendered.
    seen: {},
    // Per read: how many were sent, and the latest one whose answer was taken.
    sent: {},
    answered: {},
    offsets: { volumes: 0, journal: 0, types: 0, faults: 0, pending: 0, services: 0,
               backends: 0 },
    firstRowsMarked: false,
    open: {},
    filter: { operation: "", status: "", project: "" },
    form: {
      operation: "attachment_create", effect: "status", status: 500, message: "",
      latency: 0, when: "times", times: 1, probability: 0.5,
      project_id: "", volume_id: "", attachment_id: "", snapshot_id: "",
    },
    resetProjectId: "",
    tokenRequired: false,
    tokenDialog: false,
    tokenInput: "",
    tokenError: "",
    polling: false,

    async init() {
      this.showTab();
      window.addEventListener("hashchange", () => {
        this.showTab();
        this.refresh();
      });
      // A changed filter starts its list from the first page.
      this.$watch("volumeFilter", () => this.turnTo("volumes", 0));
      this.$watch("filter", () => this.turnTo("journal", 0));
      setInterval(() => this.poll(), POLL_MS);
      // The open tab only: the first paint waits for one small read.
      await this.refresh();
    },

    showTab() {
      const wanted = window.location.hash.slice(1);
      this.tab = this.tabs.some((t) => t.id === wanted) ? wanted : "volumes";
    },

    // -- the control API --------------------------------------------------------------
    // The answer's JSON data (``raw``: its text).
    async api(method, path, body, raw = false) {
      const headers = { Accept: "application/json" };
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) headers[TOKEN_HEADER] = token;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      // no-cache: the browser asks again with If-None-Match, and an unchanged read
      // crosses the wire as a 304 without a body.
      const response = await fetch("/_fake" + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-cache",
      });
      const text = await response.text();
      if (raw && response.ok) return text;
      const data = text ? JSON.parse(text) : null;
      if (response.status === 401) {
        this.tokenRequired = true;
        this.askToken(token ? "That token was refused." : "");
      }
      if (!response.ok) throw new HttpError(response.status, faultMessage(data, response.status));
      return data;
    },

    async reload() {
      this.forgetAnswers();
      await this.refresh(this.tabs.map((t) => t.id));
    },

    // After a reset or a reload: answers to requests sent before are dropped.
    forgetAnswers() {
      this.generation += 1;
      this.seen = {};
    },

    // One read: its data, or null when the answer is the last one seen, or is stale:
    // sent before a reset, for a page or filter no longer shown, or overtaken by a later
    // read of the same list (a poll and a tab's or an action's read may cross).
    async read(key, path, current = () => path) {
      const generation = this.generation;
      const sent = (this.sent[key] || 0) + 1;
      this.sent[key] = sent;
      const text = await this.api("GET", path, undefined, true);
      if (generation !== this.generation || current() !== path) return null;
      if (sent < (this.answered[key] || 0)) return null;
      this.answered[key] = sent;
      if (text === this.seen[key]) return null;
      this.seen[key] = text;
      return JSON.parse(text);
    },

    // What each tab shows, read from the control API.
    loaders() {
      return {
        volumes: () => this.loadVolumes(),
        types: async () => {
          const data = await this.read("types", "/types");
          if (data) this.types = data.volume_types;
        },
        journal: () => this.loadJournal(),
        faults: async () => {
          const data = await this.read("faults", "/faults");
          if (data) this.faults = data.faults;
        },
        transitions: async () => {
          const data = await this.read("transitions", "/transitions");
          if (data) this.transitions = data;
        },
        backends: async () => {
          const data = await this.read("backends", "/backends");
          if (data) this.backends = data;
        },
        // The reset menu's projects: a page of no volumes still lists them.
        state: async () => {
          const data = await this.read("projects", "/volumes?limit=0");
          if (data) this.setProjects(data.projects);
        },
      };
    },

    volumesPath() {
      const { search, project, status } = this.volumeFilter;
      const query = new URLSearchParams({
        limit: PAGE_SIZE.volumes, offset: this.offsets.volumes });
      if (search.trim()) query.set("search", search.trim());
      if (project) query.set("project_id", project);
      if (status) query.set("status", status);
      return "/volumes?" + query;
    },

    async loadVolumes() {
      const data = await this.read("volumes", this.volumesPath(), () => this.volumesPath());
      if (!data) return;
      this.volumesPage = data;
      this.setProjects(data.projects);
      // Past the end (the list shrank): show the last page instead.
      if (!data.volumes.length && data.count) this.turnTo("volumes", this.lastOffset("volumes"));
      if (!this.firstRowsMarked && data.volumes.length) {
        this.firstRowsMarked = true;
        // The time to the first rows, for `make bench` (benchmarks/dashboard.py).
        this.$nextTick(() => performance.mark("first-rows"));
      }
    },

    journalPath() {
      const { operation, status, project } = this.filter;
      const query = new URLSearchParams({
        order: "newest", limit: PAGE_SIZE.journal, offset: this.offsets.journal });
      if (operation) query.set("operation", operation);
      if (status) query.set("status", status);
      if (project) query.set("project_id", project);
      return "/requests?" + query;
    },

    async loadJournal() {
      const data = await this.read("journal", this.journalPath(), () => this.journalPath());
      if (!data) return;
      this.journalPage = data;
      if (!data.requests.length && data.count) this.turnTo("journal", this.lastOffset("journal"));
    },

    setProjects(projects) {
      this.projects = projects;
      if (!this.resetProjectId) this.resetProjectId = this.knownProjects()[0] || "";
    },

    // Read what the given tabs show (the open one by default); false when offline.
    async refresh(tabs = [this.tab]) {
      try {
        const loaders = this.loaders();
        const reads = tabs.map((tab) => loaders[tab]());
        if (!this.operations.length) {
          reads.push(fetch("/_fake/ui/meta.json").then((r) => r.json())
            .then((meta) => { this.operations = meta.operations; }));
        }
        await Promise.all(reads);
        this.loaded = true;
        this.online = true;
        if (this.error.startsWith("offline")) this.error = "";
        return true;
      } catch (error) {
        this.online = false;
        if (!(error instanceof HttpError)) this.error = "offline: " + error.message;
        else if (error.status !== 401) this.error = error.message;
        return false;
      }
    },

    async poll() {
      if (this.polling || this.tokenDialog || document.hidden) return;
      this.polling = true;
      try {
        const wasOnline = this.online;
        // Back after the server went away: it may be another fake now, start over.
        if (!wasOnline && this.loaded) await this.reload();
        else await this.refresh();
      } finally {
        this.polling = false;
      }
    },

    // Run a change, say what it did, and show its effects at once on every tab (not at
    // the next poll, and not from answers read before it).
    async act(what, change) {
      this.error = "";
      try {
        await change();
        this.notice = what;
        setTimeout(() => { if (this.notice === what) this.notice = ""; }, 4000);
      } catch (error) {
        this.error = error.message;
      }
      this.forgetAnswers();
      await this.refresh(this.tabs.map((t) => t.id));
    },

    // -- pages ------------------------------------------------------------------------
    // How many rows a list has in all (the server's count for the lists it pages).
    total(list) {
      if (list === "volumes") return this.volumesPage.count;
      if (list === "journal") return this.journalPage.count;
      return this.localList(list).length;
    },

    localList(list) {
      if (list === "types") return this.types;
      if (list === "faults") return this.faults;
      if (list === "pending") return this.transitions.pending;
      if (list === "services") return this.backends.services;
      return this.backends.backends;
    },

    lastOffset(list) {
      const size = PAGE_SIZE[list];
      return Math.max(0, Math.floor((this.total(list) - 1) / size) * size);
    },

    // The list's offset, within the list as it is now (a short list's page that emptied
    // shows the last page).
    offset(list) {
      return Math.min(this.offsets[list], this.lastOffset(list));
    },

    // The rows of a list the page slices itself.
    pageOf(list) {
      const start = this.offset(list);
      return this.localList(list).slice(start, start + PAGE_SIZE[list]);
    },

    pageCount(list) {
      return Math.max(1, Math.ceil(this.total(list) / PAGE_SIZE[list]));
    },

    pageInfo(list) {
      const total = this.total(list);
      const start = this.offset(list);
      const shown = SERVER_PAGED.includes(list)
        ? (list === "volumes" ? this.volumesPage.volumes : this.journalPage.requests).length
        : this.pageOf(list).length;
      return `page ${Math.floor(start / PAGE_SIZE[list]) + 1} of ${this.pageCount(list)}`
        + ` (${total ? start + 1 : 0}-${start + shown} of ${total})`;
    },

    hasPrevious(list) { return this.offset(list) > 0; },
    hasNext(list) { return this.offset(list) + PAGE_SIZE[list] < this.total(list); },

    turn(list, step) {
      return this.turnTo(list, Math.max(0, this.offset(list) + step * PAGE_SIZE[list]));
    },

    turnTo(list, offset) {
      this.offsets[list] = offset;
      if (SERVER_PAGED.includes(list)) return this.refresh([list]);
      return undefined;
    },

    // -- backends ---------------------------------------------------------------------
    // Disable or enable a service, or stop or restart its heartbeats.
    setService(service, change, what) {
      return this.act(what, () => this.api("PUT", "/services",
        { host: service.host, binary: service.binary, ...change }));
    },

    poolsOf(host) {
      return this.backends.pools.filter((p) => p.backend === host);
    },

    // -- the token --------------------------------------------------------------------
    askToken(message) {
      this.tokenError = message;
      this.tokenInput = "";
      this.tokenDialog = true;
      this.$nextTick(() => document.getElementById("token-input")?.focus());
    },

    async saveToken() {
      sessionStorage.setItem(TOKEN_KEY, this.tokenInput);
      this.tokenDialog = false;
      this.error = "";
      await this.reload();
    },

    // -- volumes ----------------------------------------------------------------------
    // The page's volumes by project, each project with its counts (all its volumes).
    projectGroups() {
      const counts = new Map(this.projects.map((p) => [p.project_id, p]));
      const groups = new Map();
      for (const volume of this.volumesPage.volumes) {
        if (!groups.has(volume.project_id)) {
          const known = counts.get(volume.project_id) || { volumes: 0, attachments: 0 };
          groups.set(volume.project_id, { project: volume.project_id, volumes: [],
            total: known.volumes, attachments: known.attachments });
        }
        groups.get(volume.project_id).volumes.push(volume);
      }
      return [...groups.values()];
    },

    knownProjects() {
      return this.projects.map((p) => p.project_id);
    },

    filtering() {
      const { search, project, status } = this.volumeFilter;
      return Boolean(search.trim() || project || status);
    },

    // A link to a volume or attachment (by id, or a server's): the volumes tab, searched.
    showRecord(id) {
      this.volumeFilter = { search: id, project: "", status: "" };
      window.location.hash = "volumes";
    },

    toggle(kind, id) {
      const key = kind + ":" + id;
      this.open[key] = !this.open[key];
    },

    opened(kind, id) {
      return Boolean(this.open[kind + ":" + id]);
    },

    pretty(value) {
      return value === null || value === undefined ? "(empty)" : JSON.stringify(value, null, 2);
    },

    // -- journal ----------------------------------------------------------------------
    statusClass(status) {
      if (status === null || status >= 500) return "bad";
      return status >= 400 ? "warn" : "ok";
    },

    // The filters' menus: what the whole journal holds (and what is chosen, if it left).
    withChosen(values, chosen) {
      return chosen && !values.includes(chosen) ? [...values, chosen] : values;
    },

    journalOperations() {
      return this.withChosen(this.journalPage.facets.operations, this.filter.operation);
    },

    journalProjects() {
      return this.withChosen(this.journalPage.facets.project_ids, this.filter.project);
    },

    journalStatuses() { return this.journalPage.facets.statuses.map(String); },

    clearJournal() {
      return this.act("journal cleared", () => this.api("DELETE", "/requests"));
    },

    // -- faults -----------------------------------------------------------------------
    faultOptions() {
      const f = this.form;
      const options = { operation: f.operation };
      if (f.effect === "status") {
        options.status = Number(f.status);
        if (f.message.trim()) options.message = f.message.trim();
      } else if (f.effect !== "latency") {
        options[f.effect] = true;
      }
      if (Number(f.latency) > 0) options.latency = Number(f.latency);
      if (f.when === "always") options.times = null;
      else if (f.when === "probability") {
        options.times = null;
        options.probability = Number(f.probability);
      } else options.times = Number(f.times);
      for (const key of MATCH_KEYS) {
        if (f[key].trim()) options[key] = f[key].trim();
      }
      return options;
    },

    injectFault() {
      return this.act("fault injected", async () => {
        const created = await this.api("POST", "/faults", this.faultOptions());
        this.notice = `${created.fault.id} injected`;
      });
    },

    removeFault(id) {
      return this.act(`${id} removed`, () => this.api("DELETE", "/faults/" + encodeURIComponent(id)));
    },

    removeAllFaults() {
      return this.act("all faults removed", () => this.api("DELETE", "/faults"));
    },

    describeEffect(f) {
      const parts = [];
      if (f.status !== null) parts.push(`${f.status} ${f.message || ""}`.trim());
      if (f.backend_failure) parts.push("backend failure");
      if (f.drop_connection) parts.push("drop connection");
      if (f.async_failure) parts.push("asynchronous failure");
      if (f.latency) parts.push(`+${f.latency}s`);
      return parts.join(", ");
    },

    describeWhen(f) {
      if (f.probability !== null) return `p=${f.probability}` + (f.times === null ? "" : `, ${f.times}×`);
      return f.times === null ? "always" : `${f.times}×`;
    },

    describeMatch(f) {
      const parts = MATCH_KEYS
        .filter((k) => f[k]).map((k) => `${k}=${f[k]}`);
      return parts.length ? parts.join(", ") : "any";
    },

    // -- transitions ------------------------------------------------------------------
    transitionOperations() {
      return ["*", ...Object.keys(this.transitions.operations)];
    },

    setProgression() {
      const f = this.progressionForm;
      const body = f.mode === "seconds" ? { seconds: Number(f.amount) }
        : f.mode === "polls" ? { polls: Number(f.amount) } : { [f.mode]: true };
      return this.act(`${f.operation}: ${f.mode}`, () => this.api(
        "PUT", "/transitions/" + encodeURIComponent(f.operation), body));
    },

    // All pending work, or one record's (``{volume_id: ...}`` or ``{snapshot_id: ...}``).
    advance(filter = {}) {
      const query = new URLSearchParams(filter).toString();
      return this.act("advanced", async () => {
        const done = await this.api("POST", "/advance" + (query ? "?" + query : ""));
        this.notice = `${done.advanced.length} finished`;
      });
    },

    advanceOne(p) {
      return this.advance(p.kind === "snapshot" ? { snapshot_id: p.snapshot_id }
        : { volume_id: p.volume_id });
    },

    describeLeft(p) {
      if (p.polls_left !== undefined) return `${p.polls_left} read(s)`;
      if (p.seconds_left !== undefined) return `${p.seconds_left} s`;
      return "until advanced";
    },

    // -- state ------------------------------------------------------------------------
    resetAll() {
      return this.act("everything reset", () => this.api("POST", "/reset"));
    },

    resetProject(project) {
      if (!project) return undefined;
      return this.act(`project ${project} reset`,
        () => this.api("POST", "/reset?project_id=" + encodeURIComponent(project)));
    },

    downloadState() {
      return this.act("state downloaded", async () => {
        const state = await this.api("GET", "/state");
        const blob = new Blob([JSON.stringify(state, null, 2) + "\n"], { type: "application/json" });
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = "fake-cinder-state.json";
        document.body.appendChild(link);
        link.click();
        link.remove();
        URL.revokeObjectURL(link.href);
      });
    },

    uploadState(replace) {
      const file = document.getElementById("state-file").files[0];
      if (!file) {
        this.error = "Choose a state file first.";
        return undefined;
      }
      return this.act(replace ? `state replaced by ${file.name}` : `records of ${file.name} added`,
        async () => {
          let state;
          try {
            state = JSON.parse(await file.text());
          } catch (error) {
            throw new Error(`${file.name} is not JSON: ${error.message}`);
          }
          await this.api(replace ? "PUT" : "POST", "/state", state);
        });
    },
  }));
});
