// The dashboard's one Alpine.js component. Every read and change goes through the
// fake's /_fake/ control API; the journal is polled with a cursor (since=<seq>), which
// survives the server going away and coming back (it then starts over).
"use strict";

const TOKEN_KEY = "fake-cinder-control-token";
const TOKEN_HEADER = "X-Fake-Control-Token";
// How often the page asks for news: once a second, or ?poll=<ms> (at least 100).
const POLL_MS = Math.max(100, Number(new URLSearchParams(window.location.search).get("poll"))
  || 1000);
const JOURNAL_KEPT = 1000; // the newest ones; the fake's own journal is a ring too
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
    volumes: [],
    types: [],
    faults: [],
    // GET /_fake/transitions: the asynchronous operations, progressions set, pending work.
    transitions: { operations: {}, progressions: {}, pending: [] },
    progressionForm: { operation: "*", mode: "polls", amount: 1 },
    backends: { backends: [], services: [], pools: [] },
    journal: [],
    cursor: 0,
    generation: 0,
    seen: { volumes: "", faults: "", backends: "", transitions: "" },
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
      window.addEventListener("hashchange", () => this.showTab());
      setInterval(() => this.poll(), POLL_MS);
      await this.reload();
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
      const response = await fetch("/_fake" + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
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
      this.forgetJournal();
      await this.refresh();
    },

    // After a reset or a reload: answers to requests sent before are dropped.
    forgetJournal() {
      this.generation += 1;
      this.cursor = 0;
      this.journal = [];
    },

    async refresh() {
      const generation = this.generation;
      try {
        if (!this.operations.length) {
          const meta = await fetch("/_fake/ui/meta.json").then((r) => r.json());
          this.operations = meta.operations;
        }
        const [volumes, faults, requests, backends, types, transitions] = await Promise.all([
          this.api("GET", "/volumes", undefined, true),
          this.api("GET", "/faults", undefined, true),
          this.api("GET", "/requests?since=" + this.cursor),
          this.api("GET", "/backends", undefined, true),
          this.api("GET", "/types"),
          this.api("GET", "/transitions", undefined, true),
        ]);
        this.types = types.volume_types;
        // Most polls find nothing new: then nothing is re-rendered.
        if (volumes !== this.seen.volumes) this.volumes = JSON.parse(volumes).volumes;
        if (faults !== this.seen.faults) this.faults = JSON.parse(faults).faults;
        if (backends !== this.seen.backends) this.backends = JSON.parse(backends);
        if (transitions !== this.seen.transitions) this.transitions = JSON.parse(transitions);
        this.seen = { volumes, faults, backends, transitions };
        if (generation === this.generation) this.addEntries(requests.requests);
        if (!this.resetProjectId) this.resetProjectId = this.knownProjects()[0] || "";
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

    addEntries(entries) {
      // Two refreshes may overlap (a poll and an action's): take each entry once.
      const fresh = entries.filter((e) => e.seq > this.cursor);
      if (!fresh.length) return;
      this.journal = fresh.reverse().concat(this.journal).slice(0, JOURNAL_KEPT);
      this.cursor = this.journal[0].seq;
    },

    // Run a change, say what it did, and show the result at once (not at the next poll).
    async act(what, change) {
      this.error = "";
      try {
        await change();
        this.notice = what;
        setTimeout(() => { if (this.notice === what) this.notice = ""; }, 4000);
      } catch (error) {
        this.error = error.message;
      }
      await this.refresh();
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
    projects() {
      const groups = new Map();
      for (const volume of this.volumes) {
        if (!groups.has(volume.project_id)) {
          groups.set(volume.project_id, { project: volume.project_id, volumes: [], attachments: 0 });
        }
        const group = groups.get(volume.project_id);
        group.volumes.push(volume);
        group.attachments += volume.attachments.length;
      }
      return [...groups.values()];
    },

    knownProjects() {
      return [...new Set(this.volumes.map((v) => v.project_id))].sort();
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
    filteredJournal() {
      const { operation, status, project } = this.filter;
      return this.journal.filter((e) =>
        (!operation || e.operation === operation)
        && (!project || e.project_id === project)
        && this.statusMatches(e.status, status));
    },

    statusMatches(actual, wanted) {
      if (!wanted) return true;
      if (wanted === "dropped") return actual === null;
      if (actual === null) return false;
      if (wanted.endsWith("xx")) return String(actual)[0] === wanted[0];
      return String(actual) === wanted;
    },

    statusClass(status) {
      if (status === null || status >= 500) return "bad";
      return status >= 400 ? "warn" : "ok";
    },

    distinct(values) {
      return [...new Set(values.filter((v) => v !== null && v !== undefined))].sort();
    },

    journalOperations() { return this.distinct(this.journal.map((e) => e.operation)); },
    journalProjects() { return this.distinct(this.journal.map((e) => e.project_id)); },
    journalStatuses() { return this.distinct(this.journal.map((e) => e.status)).map(String); },

    clearJournal() {
      return this.act("journal cleared", async () => {
        await this.api("DELETE", "/requests");
        this.journal = [];
        this.generation += 1;
      });
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
      return this.act("everything reset", async () => {
        await this.api("POST", "/reset");
        this.forgetJournal();
      });
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
