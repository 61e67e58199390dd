// The candidate's chat page. Candidate and session text is only ever put on the page with
// textContent.
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
  const progress = document.getElementById("progress");
  const closing = document.getElementById("closing");
  const confirmEmpty = document.getElementById("confirm-empty");
  const max = Number(chat.dataset.max);
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const api = "/api/interview/" + encodeURIComponent(token);
  const fmt = new Intl.NumberFormat("en");
  let busy = false;
  let overShown = false;
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
    sendButton.disabled = busy || over;
    if (over) showError("Your answer is over the limit of " + fmt.format(max) + " characters; please shorten it.");
    else if (overShown) showError("");
    overShown = over;
  }

  function finish(view) {
    form.hidden = true;
    closing.hidden = false;
    closing.textContent = view.message;
    showProgress(view);
  }

  function ask() {
    form.hidden = false;
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
        const view = JSON.parse(event.data);
        if (body) body.textContent = view.message;
        if (streaming) streaming.classList.remove("streaming");
        if (view.status === "done") finish(view);
        else ask();
        resolve(view);
      });
      source.onerror = function () {
        source.close();
        if (!body) {
          bubble("system", "This interview could not be loaded. Check the link, or reload the page.");
        }
        resolve(null);
      };
    });
  }

  function showHistory(history) {
    let number = 0;
    for (const exchange of history) {
      if (exchange.kind === "question") number += 1;
      bubble("interviewer", exchange.prompt, (exchange.kind === "probe" ? "Follow-up " : "Question ") + number);
      bubble("candidate", exchange.answer.trim() ? exchange.answer : "(no answer)", "You");
    }
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
    if (view.status === "done") {
      finish(view);
      return;
    }
    if (!history.length) {
      intro.hidden = false; // a first visit: the introduction, then Start
      return;
    }
    resumeNote.hidden = !history.length;
    await streamMessage();
  }

  function start() {
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
        body: JSON.stringify({ answer: text, answer_id: answerId }),
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
      form.hidden = true;
      await streamMessage();
    }
    updateCounter();
  }

  startButton.addEventListener("click", start);
  box.addEventListener("input", updateCounter);
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
  updateCounter();
  load();
})();
