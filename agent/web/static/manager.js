// The manager's pages: new session, end, delete. They call the same JSON API as any client,
// authenticated by the sign-in cookie plus the CSRF token from the page's <meta> tag.
"use strict";
(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";

  function api(method, path, body) {
    const init = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init);
  }

  async function detail(response) {
    try {
      const data = await response.json();
      if (typeof data.detail === "string") return data.detail;
      if (Array.isArray(data.detail)) return data.detail.map(function (e) { return e.msg; }).join("; ");
    } catch (err) { /* not JSON */ }
    return "The server answered " + response.status + ".";
  }

  function showError(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  // --- dashboard: the new-session form ---------------------------------------------------------
  const form = document.getElementById("new-session");
  if (form) {
    const track = document.getElementById("track");
    const error = document.getElementById("create-error");
    const filter = function () {
      document.querySelectorAll("label.check").forEach(function (label) {
        const show = label.dataset.track === track.value;
        label.hidden = !show;
        if (!show) label.querySelector("input").checked = false;
      });
    };
    track.addEventListener("change", filter);
    filter();

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      showError(error, "");
      const ids = Array.from(form.querySelectorAll('input[name="question_ids"]:checked')).map(function (c) { return c.value; });
      const body = {
        track: track.value,
        candidate_label: document.getElementById("candidate_label").value,
        questions: Number(document.getElementById("questions").value) || 3,
      };
      if (ids.length) body.question_ids = ids;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      let response;
      try {
        response = await api("POST", "/api/sessions", body);
      } catch (err) {
        showError(error, "Could not reach the server.");
        button.disabled = false;
        return;
      }
      button.disabled = false;
      if (!response.ok) {
        showError(error, await detail(response));
        return;
      }
      const created = await response.json();
      document.getElementById("candidate-url").value = created.candidate_url;
      const link = document.getElementById("created-session");
      link.href = "/manage/sessions/" + encodeURIComponent(created.session_id);
      document.getElementById("created").hidden = false;
      addRow(created.session_id, body.candidate_label, track.value, body.question_ids ? ids.length : body.questions);
      form.reset();
      filter();
    });

    const bulk = document.getElementById("bulk-form");
    bulk.addEventListener("submit", async function (event) {
      event.preventDefault();
      const problem = document.getElementById("bulk-error");
      const result = document.getElementById("bulk-result");
      showError(problem, "");
      result.hidden = true;
      const file = document.getElementById("bulk-file").files[0];
      if (!file) { showError(problem, "Choose a CSV file first."); return; }
      const response = await api("POST", "/api/sessions/bulk", { csv: await file.text(), track: track.value });
      if (!response.ok) { showError(problem, await detail(response)); return; }
      const text = await response.text();
      const rows = text.trim().split("\n").length - 1;
      const failed = (text.match(/,line \d+: /g) || []).length;
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      link.download = "screener-links.csv";
      link.id = "bulk-download";
      link.textContent = "Download the links (CSV)";
      result.textContent = (rows - failed) + " sessions created" + (failed ? ", " + failed + (failed === 1 ? " row" : " rows") + " refused (see the CSV). " : ". ");
      result.appendChild(link);
      result.hidden = false;
      const listed = await api("GET", "/api/sessions");
      if (listed.ok) {
        const shown = new Set(Array.from(document.querySelectorAll("#sessions tbody tr")).map(function (r) { return r.dataset.session; }));
        (await listed.json()).sessions.slice().reverse().forEach(function (s) {
          if (!shown.has(s.session_id)) addRow(s.session_id, s.candidate_label, s.track, s.total);
        });
      }
    });

    document.getElementById("copy-url").addEventListener("click", function () {
      const input = document.getElementById("candidate-url");
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value).catch(function () {});
    });
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function addRow(sessionId, label, trackName, total) {
    const table = document.getElementById("sessions");
    table.hidden = false;
    document.getElementById("filters").hidden = false;
    document.getElementById("no-sessions").hidden = true;
    const row = document.createElement("tr");
    row.dataset.session = sessionId;
    row.dataset.label = label.toLowerCase();
    row.dataset.track = trackName;
    row.dataset.status = "in_progress";
    row.dataset.overall = "";
    row.dataset.tourist = "";
    row.dataset.decision = "none";
    row.dataset.started = new Date().toISOString();
    const pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "pick";
    pick.disabled = true;
    cell(row, "").appendChild(pick);
    const first = cell(row, "");
    const a = document.createElement("a");
    a.href = "/manage/sessions/" + encodeURIComponent(sessionId);
    a.textContent = label.trim() || "(no label)";
    first.appendChild(a);
    const id = document.createElement("div");
    id.className = "muted small";
    id.textContent = sessionId;
    first.appendChild(id);
    cell(row, trackName, "nowrap");
    cell(row, "New (0 of " + total + ")", "nowrap");
    cell(row, "\u2014", "num");
    cell(row, "\u2014");
    cell(row, "\u2014");
    cell(row, "just now", "small nowrap");
    cell(row, "\u2014", "small nowrap");
    table.tBodies[0].prepend(row);
  }

  // --- dashboard: find, sort and compare -------------------------------------------------------
  const filters = document.getElementById("filters");
  if (filters) {
    const rows = function () { return Array.from(document.querySelectorAll("#sessions tbody tr")); };
    const value = function (id) { return document.getElementById(id).value; };
    const apply = function () {
      const search = value("f-search").trim().toLowerCase();
      const low = value("f-min") === "" ? null : Number(value("f-min"));
      const high = value("f-max") === "" ? null : Number(value("f-max"));
      const since = value("f-since");
      let shown = 0;
      rows().forEach(function (row) {
        const d = row.dataset;
        const overall = d.overall === "" ? null : Number(d.overall);
        const ok = (!search || d.label.includes(search) || d.session.includes(search))
          && (!value("f-status") || d.status === value("f-status"))
          && (!value("f-decision") || d.decision === value("f-decision"))
          && (!value("f-tourist") || d.tourist === value("f-tourist"))
          && (!value("f-track") || d.track === value("f-track"))
          && (low === null || (overall !== null && overall >= low))
          && (high === null || (overall !== null && overall <= high))
          && (!since || d.started.slice(0, 10) >= since);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      const count = document.getElementById("filter-count");
      count.textContent = shown + " of " + rows().length + " sessions shown";
      count.hidden = shown === rows().length;
    };
    filters.addEventListener("input", apply);
    filters.addEventListener("change", apply);
    filters.addEventListener("submit", function (event) { event.preventDefault(); });
    document.querySelectorAll("button.sort").forEach(function (button) {
      button.addEventListener("click", function () {
        const key = button.dataset.key;
        const numeric = button.dataset.numeric === "1";
        const down = button.getAttribute("aria-sort") !== "descending";
        document.querySelectorAll("button.sort").forEach(function (b) { b.removeAttribute("aria-sort"); });
        button.setAttribute("aria-sort", down ? "descending" : "ascending");
        const body = document.querySelector("#sessions tbody");
        rows().sort(function (a, b) {
          let x = a.dataset[key], y = b.dataset[key];
          if (numeric) { x = x === "" ? -1 : Number(x); y = y === "" ? -1 : Number(y); }
          const order = x < y ? -1 : x > y ? 1 : 0;
          return down ? -order : order;
        }).forEach(function (row) { body.appendChild(row); });
      });
    });
    const compare = document.getElementById("compare");
    const picked = function () { return rows().filter(function (r) { return r.querySelector(".pick").checked; }); };
    document.getElementById("sessions").addEventListener("change", function (event) {
      if (!event.target.classList.contains("pick")) return;
      const n = picked().length;
      compare.disabled = n < 2 || n > 4;
      compare.textContent = n ? "Compare selected (" + n + ")" : "Compare selected";
    });
    compare.addEventListener("click", function () {
      const ids = picked().map(function (r) { return r.dataset.session; });
      window.location.assign("/manage/compare?ids=" + ids.map(encodeURIComponent).join(","));
    });
  }

  // --- session page: end, delete --------------------------------------------------------------
  const session = document.getElementById("session");
  if (session) {
    const id = session.dataset.session;
    const error = document.getElementById("action-error");
    const end = document.getElementById("end-session");
    if (end) {
      end.addEventListener("click", async function () {
        if (!window.confirm("End this interview now? The report will cover the answers so far.")) return;
        const response = await api("POST", "/api/sessions/" + encodeURIComponent(id) + "/end");
        if (response.ok) window.location.reload();
        else showError(error, await detail(response));
      });
    }
    // reviews and the decision: the reviewer's name is remembered in this browser
    const reviewer = document.getElementById("reviewer");
    if (reviewer) {
      try { reviewer.value = window.localStorage.getItem("screener-reviewer") || ""; } catch (err) { /* private mode */ }
      reviewer.addEventListener("change", function () {
        try { window.localStorage.setItem("screener-reviewer", reviewer.value.trim()); } catch (err) { /* private mode */ }
      });
    }
    async function send(formEl, path, body) {
      const problem = formEl.querySelector(".error");
      showError(problem, "");
      body.reviewer = reviewer ? reviewer.value.trim() : "";
      if (!body.reviewer) {
        showError(problem, "Enter your name above first: it goes into the audit log.");
        if (reviewer) reviewer.focus();
        return;
      }
      const button = formEl.querySelector("button[type=submit]");
      button.disabled = true;
      let response;
      try {
        response = await api("POST", "/api/sessions/" + encodeURIComponent(id) + path, body);
      } catch (err) {
        button.disabled = false;
        showError(problem, "Could not reach the server.");
        return;
      }
      button.disabled = false;
      if (response.ok) window.location.reload();
      else showError(problem, await detail(response));
    }
    document.querySelectorAll("form.review-form").forEach(function (formEl) {
      formEl.addEventListener("submit", function (event) {
        event.preventDefault();
        const body = { reason: formEl.querySelector('input[name="reason"]').value };
        if (formEl.dataset.item === "tourist") {
          body.tourist = formEl.querySelector('select[name="tourist"]').value === "true";
        } else {
          body.question_id = formEl.dataset.question;
          const overall = formEl.querySelector('select[name="overall"]').value;
          if (overall) body.overall = Number(overall);
          body.criteria = {};
          formEl.querySelectorAll('select[name="criterion"]').forEach(function (sel) {
            if (sel.value) body.criteria[sel.dataset.criterion] = Number(sel.value);
          });
        }
        send(formEl, "/reviews", body);
      });
    });
    const decisionForm = document.getElementById("decision-form");
    if (decisionForm) {
      decisionForm.addEventListener("submit", function (event) {
        event.preventDefault();
        send(decisionForm, "/decision", {
          decision: document.getElementById("decision").value,
          notes: document.getElementById("decision-notes").value,
        });
      });
    }
    const reissue = document.getElementById("reissue-link");
    if (reissue) {
      reissue.addEventListener("click", async function () {
        if (!window.confirm("Issue a new candidate link? The old link stops working at once.")) return;
        const response = await api("POST", "/api/sessions/" + encodeURIComponent(id) + "/link", {});
        if (!response.ok) { showError(error, await detail(response)); return; }
        const made = await response.json();
        document.getElementById("reissued-url").value = made.candidate_url;
        document.getElementById("reissued").hidden = false;
      });
      document.getElementById("copy-reissued").addEventListener("click", function () {
        const input = document.getElementById("reissued-url");
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).catch(function () {});
      });
    }
    document.getElementById("delete-session").addEventListener("click", async function () {
      if (!window.confirm("Delete this session, its transcript and its report? This cannot be undone.")) return;
      const response = await api("DELETE", "/api/sessions/" + encodeURIComponent(id));
      if (response.ok) window.location.assign("/manage");
      else showError(error, await detail(response));
    });
  }
})();
