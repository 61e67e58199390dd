// The candidate's chat page. Candidate and session text is only ever put on the page with
// textContent. The answer being written is kept as a draft in this browser's localStorage (it
// leaves the device only when the candidate sends it) and dropped once the server has it.
"use strict";
(function () {
  const chat = document.getElementById("chat");
  const intro = document.getElementById("intro");
  const startButton = document.getElementById("start");
  const resumeNote = document.getElementById("resume-note");
  const log = document.getElementById("log");
  const form = document.getElementById("answer-form");
  const box = document.getElementById("answer");
  const counter = document.getElementById("counter");
  const sendButton = document.getElementById("send");
  const errorLine = document.getElementById("answer-error");
  const draftNote = document.getElementById("draft-note");
  const progress = document.getElementById("progress");
  const closing = document.getElementById("closing");
  const confirmEmpty = document.getElementById("confirm-empty");
  const consentError = document.getElementById("consent-error");
  const aboutYou = document.getElementById("about-you");
  const aboutForm = document.getElementById("about-you-form");
  const aboutError = document.getElementById("about-you-error");
  const aboutDone = document.getElementById("about-you-done");
  const max = Number(chat.dataset.max);
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const api = "/api/interview/" + encodeURIComponent(token);
  const fmt = new Intl.NumberFormat("en");
  const draftPrefix = "screener-draft:" + token + ":";
  const drafts = draftStorage();
  let busy = false;
  let overShown = false;
  // How many answers were recorded before the prompt on screen: its place in the interview,
  // which keys its draft.
  let turn = 0;
  // The id of the answer being sent: kept until the server has replied about it, so that a
  // send repeated after a lost reply is recognised and recorded once.
  let answerId = null;

  function newAnswerId() {
    // crypto.getRandomValues also works on plain http (randomUUID needs a secure context).
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function length(text) {
    return Array.from(text).length; // code points, as the server counts them
  }

  // --- drafts ---------------------------------------------------------------------------------

  function draftStorage() {
    // localStorage may be switched off, or throw when the browser blocks site data.
    try {
      const store = window.localStorage;
      store.setItem(draftPrefix + "check", "1");
      store.removeItem(draftPrefix + "check");
      return store;
    } catch (err) {
      return null;
    }
  }

  function readDraft(index) {
    if (!drafts) return "";
    try {
      return drafts.getItem(draftPrefix + index) || "";
    } catch (err) {
      return "";
    }
  }

  function saveDraft() {
    if (!drafts) return;
    try {
      if (box.value) drafts.setItem(draftPrefix + turn, box.value);
      else drafts.removeItem(draftPrefix + turn);
    } catch (err) {
      // Storage is full: the answer is still in the box, only the copy is missing.
    }
  }

  function dropDrafts(keep) {
    // Forget this interview's drafts, except the one for prompt number ``keep`` if given.
    if (!drafts) return;
    try {
      const stale = [];
      for (let i = 0; i < drafts.length; i += 1) {
        const key = drafts.key(i);
        if (key && key.startsWith(draftPrefix) && key !== draftPrefix + keep) stale.push(key);
      }
      stale.forEach(function (key) { drafts.removeItem(key); });
    } catch (err) {
      // Storage went away meanwhile: nothing is left to forget.
    }
  }

  // --- the conversation -----------------------------------------------------------------------

  function bubble(who, text, label) {
    const item = document.createElement("li");
    item.className = "msg " + who;
    if (label) {
      const tag = document.createElement("div");
      tag.className = "tag";
      tag.textContent = label;
      item.appendChild(tag);
    }
    const body = document.createElement("div");
    body.className = "body";
    body.textContent = text;
    item.appendChild(body);
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return body;
  }

  function markCurrentPrompt(body) {
    // The answer box is described by the prompt it answers (aria-describedby="current-prompt"),
    // so a screen reader reads the question when focus lands in the box.
    const previous = document.getElementById("current-prompt");
    if (previous) previous.removeAttribute("id");
    body.id = "current-prompt";
  }

  function labelFor(view) {
    if (view.status === "done") return "";
    return (view.kind === "probe" ? "Follow-up" : "Question") + " " + view.question;
  }

  function showProgress(view) {
    if (view.status === "done") {
      progress.textContent = "Interview complete";
    } else {
      progress.textContent = "Question " + view.question + " of " + view.progress.total;
    }
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function updateCounter() {
    const n = length(box.value);
    counter.textContent = fmt.format(n) + " / " + fmt.format(max) + " characters";
    const over = n > max;
    counter.classList.toggle("over", over);
    box.setAttribute("aria-invalid", over ? "true" : "false");
    sendButton.disabled = busy || over;
    if (over) showError("Your answer is over the limit of " + fmt.format(max) + " characters; please shorten it.");
    else if (overShown) showError("");
    overShown = over;
  }

  function finish(view) {
    dropDrafts(null);
    form.hidden = true;
    closing.hidden = false;
    closing.textContent = view.message;
    showProgress(view);
    closing.focus();
    offerAboutYou(view);
  }

  // --- the optional questions about the candidate, after the last answer ----------------------

  const skippedKey = "screener-about-you-skipped:" + token;

  function offerAboutYou(view) {
    let skipped = false;
    try { skipped = window.localStorage.getItem(skippedKey) === "1"; } catch (err) { skipped = false; }
    aboutYou.hidden = !view.demographics || skipped;
  }

  function aboutYouDone(text) {
    aboutForm.hidden = true;
    aboutDone.hidden = false;
    aboutDone.textContent = text;
    aboutDone.focus();
  }

  async function sendAboutYou(event) {
    event.preventDefault();
    const sex = document.getElementById("sex").value || null;
    const race = document.getElementById("race").value || null;
    if (!sex && !race) {
      skipAboutYou();
      return;
    }
    aboutError.hidden = true;
    let response;
    try {
      response = await fetch(api + "/demographics", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ sex: sex, race: race }),
      });
    } catch (err) {
      response = null;
    }
    if (response && response.ok) {
      aboutYouDone("Thank you. Your answers are recorded apart from your interview. You can close this page now.");
    } else {
      aboutError.textContent = "Your answers could not be sent; please try again.";
      aboutError.hidden = false;
    }
  }

  function skipAboutYou() {
    try { window.localStorage.setItem(skippedKey, "1"); } catch (err) { /* not kept: asked again */ }
    aboutYouDone("Nothing was recorded. You can close this page now.");
  }

  // How the answer to the prompt on screen is written: shown to the hiring manager beside the
  // transcript as signals, never graded. Reset for each prompt.
  let signals = null;
  function resetSignals() {
    signals = { shown: Date.now(), first_key_ms: null, pasted_chars: 0, focus_changes: 0 };
  }

  function ask() {
    // The answer box for the prompt on screen, holding its draft if one was kept.
    box.value = readDraft(turn);
    form.hidden = false;
    resetSignals();
    updateCounter();
    box.focus();
  }

  // Stream the interviewer's current message (server-sent events), then show the answer box.
  function streamMessage() {
    return new Promise(function (resolve) {
      const source = new EventSource(api + "/stream");
      let body = null;
      let streaming = null;
      let text = "";
      log.setAttribute("aria-busy", "true"); // announced once whole, not word by word
      source.addEventListener("state", function (event) {
        const head = JSON.parse(event.data);
        showProgress(head);
        if (head.status === "done") {
          form.hidden = true;
          closing.hidden = false;
          body = closing; // the closing message streams into its own box, not a bubble
          streaming = closing;
          streaming.classList.add("streaming");
        } else {
          body = bubble("interviewer", "", labelFor(head));
          markCurrentPrompt(body);
          streaming = body.parentElement;
          streaming.classList.add("streaming");
        }
      });
      source.addEventListener("delta", function (event) {
        text += JSON.parse(event.data).text;
        if (body) body.textContent = text;
        body.scrollIntoView({ block: "end" });
      });
      source.addEventListener("done", function (event) {
        source.close();
        log.setAttribute("aria-busy", "false");
        const view = JSON.parse(event.data);
        if (body) body.textContent = view.message;
        if (streaming) streaming.classList.remove("streaming");
        if (view.status === "done") finish(view);
        else ask();
        resolve(view);
      });
      source.onerror = function () {
        source.close();
        log.setAttribute("aria-busy", "false");
        if (!body) {
          bubble("system", "This interview could not be loaded. Check the link, or reload the page.");
        }
        resolve(null);
      };
    });
  }

  function showHistory(history) {
    let number = 0;
    log.setAttribute("aria-busy", "true");
    for (const exchange of history) {
      if (exchange.kind === "question") number += 1;
      bubble("interviewer", exchange.prompt, (exchange.kind === "probe" ? "Follow-up " : "Question ") + number);
      bubble("candidate", exchange.answer.trim() ? exchange.answer : "(no answer)", "You");
    }
    log.setAttribute("aria-busy", "false");
  }

  async function load() {
    const response = await fetch(api + "?include=history", { headers: { Accept: "application/json" } });
    if (response.status === 429 || response.status === 503) {
      const wait = response.headers.get("Retry-After") || "a few";
      bubble("system", "The server is busy. Nothing is lost; please reload this page in " + wait + " seconds.");
      return;
    }
    if (!response.ok) {
      bubble("system", "This interview link is not valid, or it has been withdrawn.");
      return;
    }
    const view = await response.json();
    const history = view.history || [];
    showHistory(history);
    turn = history.length;
    if (view.status === "done") {
      finish(view);
      return;
    }
    dropDrafts(turn);
    if (!history.length && (view.notice_version || !readDraft(turn))) {
      intro.hidden = false; // a first visit: the notice and introduction, then Start
      return;
    }
    resumeNote.hidden = !history.length;
    await streamMessage();
  }

  async function start() {
    // Starting confirms the notice on screen: the server records its version, then asks.
    consentError.hidden = true;
    startButton.disabled = true;
    let response;
    try {
      response = await fetch(api + "/consent", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ notice_version: intro.dataset.notice }),
      });
    } catch (err) {
      response = null;
    }
    startButton.disabled = false;
    if (!response || !response.ok) {
      consentError.textContent = response && response.status === 409
        ? "The notice has been updated since this page was opened. Please reload the page and read it again."
        : "Could not reach the server. Please try again.";
      consentError.hidden = false;
      return;
    }
    intro.hidden = true;
    streamMessage();
  }

  // --- sending --------------------------------------------------------------------------------

  function send(event) {
    event.preventDefault();
    if (busy || confirmEmpty.open) return;
    if (length(box.value) > max) {
      updateCounter();
      return;
    }
    if (!box.value.trim()) {
      confirmEmpty.returnValue = ""; // Escape leaves the last value in place
      confirmEmpty.showModal();
      return;
    }
    deliver(box.value);
  }

  function confirmed() {
    if (confirmEmpty.returnValue === "send") deliver(box.value);
    else box.focus(); // Keep writing, or Escape
  }

  async function deliver(text) {
    busy = true;
    sendButton.disabled = true;
    showError("");
    if (!answerId) answerId = newAnswerId();
    let response;
    try {
      response = await fetch(api + "/answer", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ answer: text, answer_id: answerId, signals: measured() }),
      });
    } catch (err) {
      showError("Could not reach the server. Your answer is still here; please send it again.");
      busy = false;
      updateCounter();
      return;
    }
    let data = {};
    try { data = await response.json(); } catch (err) { data = {}; }
    busy = false;
    if (response.status === 429) {
      showError("You are sending answers very quickly. Please wait a moment and send again.");
    } else if (response.status === 422 || response.status === 413) {
      showError(typeof data.detail === "string" ? data.detail : "That answer could not be accepted; please shorten it.");
    } else if (response.status === 428) {
      form.hidden = true; // the notice was not confirmed yet: show it again
      intro.hidden = false;
    } else if (response.status === 409) {
      answerId = null;
      form.hidden = true;
      await streamMessage();
    } else if (response.status === 503) {
      showError("The server cannot save answers right now. Your answer is still here; please send it again in a few minutes.");
    } else if (!response.ok) {
      showError("Something went wrong. Your answer is still here; please send it again.");
    } else {
      answerId = null; // recorded (now or by an earlier send): the next answer gets a new id
      bubble("candidate", text.trim() ? text : "(no answer)", "You");
      box.value = "";
      turn += 1;
      dropDrafts(turn); // the server has it: only a draft for the next prompt is worth keeping
      form.hidden = true;
      await streamMessage();
    }
    updateCounter();
  }

  function measured() {
    if (!signals) return null;
    return {
      first_key_ms: signals.first_key_ms,
      submit_ms: Date.now() - signals.shown,
      pasted_chars: signals.pasted_chars,
      focus_changes: signals.focus_changes,
    };
  }
  box.addEventListener("keydown", function () {
    if (signals && signals.first_key_ms === null) signals.first_key_ms = Date.now() - signals.shown;
  });
  box.addEventListener("paste", function (event) {
    const pasted = event.clipboardData ? event.clipboardData.getData("text") : "";
    if (signals) signals.pasted_chars += pasted.length;
  });
  document.addEventListener("visibilitychange", function () {
    if (signals && document.visibilityState === "hidden" && !form.hidden) signals.focus_changes += 1;
  });

  draftNote.hidden = !drafts;
  startButton.addEventListener("click", start);
  box.addEventListener("input", function () {
    updateCounter();
    saveDraft();
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", send);
  document.getElementById("keep-writing").addEventListener("click", function () {
    confirmEmpty.close("keep");
  });
  document.getElementById("send-empty").addEventListener("click", function () {
    confirmEmpty.close("send");
  });
  confirmEmpty.addEventListener("close", confirmed);
  aboutForm.addEventListener("submit", sendAboutYou);
  document.getElementById("about-you-skip").addEventListener("click", skipAboutYou);
  updateCounter();
  load();
})();
