// The chat widget on a tenant's public pages (markup: chat/templates/chat/widget.html).
// Every message is shown with textContent, never as HTML. The conversation is the visitor's cookie's:
// opening the panel reloads its transcript, so it survives page changes. While the panel is open and
// the page visible, it asks for new messages (the owner's replies) every POLL_MS.
(function () {
  "use strict";

  var POLL_MS = 10000;
  var root = document.getElementById("iw-chat");
  if (!root || !window.fetch) return;

  var openButton = document.getElementById("iw-chat-open");
  var closeButton = document.getElementById("iw-chat-close");
  var panel = document.getElementById("iw-chat-panel");
  var log = document.getElementById("iw-chat-log");
  var status = document.getElementById("iw-chat-status");
  var form = document.getElementById("iw-chat-form");
  var input = document.getElementById("iw-chat-input");
  var sendButton = form.querySelector("button[type=submit]");
  var brand = root.getAttribute("data-brand");
  var messagesUrl = root.getAttribute("data-messages-url");
  var conversationUrl = root.getAttribute("data-conversation-url");

  var csrf = "";
  var lastId = 0;
  var shown = {};
  var pollTimer = null;
  var sending = false;

  var SPEAKERS = { visitor: "You", assistant: brand, owner: brand + " team" };

  function bubble(role) {
    var item = document.createElement("li");
    item.className = "iw-chat-msg iw-chat-" + role;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (SPEAKERS[role] || brand) + ": ";
    var text = document.createElement("span");
    text.className = "iw-chat-text";
    item.appendChild(who);
    item.appendChild(text);
    log.appendChild(item);
    return item;
  }

  function setText(item, text) {
    item.querySelector(".iw-chat-text").textContent = text;
    log.scrollTop = log.scrollHeight;
  }

  function show(message, item) {
    if (shown[message.id]) {
      if (item && item.parentNode) item.parentNode.removeChild(item);
      return;
    }
    shown[message.id] = true;
    if (message.id > lastId) lastId = message.id;
    item = item || bubble(message.role);
    item.setAttribute("data-id", String(message.id));
    setText(item, message.text);
  }

  function say(text) {
    status.textContent = text || "";
  }

  function load() {
    return fetch(conversationUrl + "?after=" + lastId, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        csrf = data.csrf || csrf;
        (data.messages || []).forEach(function (message) {
          show(message);
        });
      });
  }

  function poll() {
    stopPolling();
    pollTimer = window.setInterval(function () {
      if (document.visibilityState === "visible" && !sending) load().catch(function () {});
    }, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, textarea, [href], input, [tabindex]:not([tabindex='-1'])"),
      function (el) {
        return !el.disabled && el.offsetParent !== null;
      }
    );
  }

  function open() {
    panel.hidden = false;
    openButton.setAttribute("aria-expanded", "true");
    root.classList.add("iw-chat-is-open");
    input.focus();
    load()
      .then(function () {
        say("");
      })
      .catch(function () {
        say("The chat can't be reached right now. Please try again in a moment.");
      });
    poll();
  }

  function close() {
    panel.hidden = true;
    openButton.setAttribute("aria-expanded", "false");
    root.classList.remove("iw-chat-is-open");
    stopPolling();
    openButton.focus();
  }

  function parseEvents(buffer, onEvent) {
    // Server-sent events: blocks separated by a blank line, "event:" and "data:" lines.
    var blocks = buffer.split("\n\n");
    var rest = blocks.pop();
    blocks.forEach(function (block) {
      var name = "message";
      var data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
      });
      if (data) onEvent(name, JSON.parse(data));
    });
    return rest;
  }

  function readStream(response, reply) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var streamed = "";
    var failed = null;
    function onEvent(name, data) {
      if (name === "saved") {
        show(data);
        log.appendChild(reply); // the answer's bubble goes after the question it answers
      }
      else if (name === "delta") {
        streamed += data.text;
        setText(reply, streamed);
      } else if (name === "done") show(data, reply);
      else if (name === "error") failed = data.message;
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (failed) throw new Error(failed);
          return;
        }
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), onEvent);
        return pump();
      });
    }
    return pump();
  }

  function send(text) {
    sending = true;
    sendButton.disabled = true;
    say("Sending…");
    return post(text, false)
      .catch(function (error) {
        say(error.message || "Sorry, that didn't go through. Please try again.");
      })
      .then(function () {
        sending = false;
        sendButton.disabled = false;
        input.focus();
      });
  }

  function post(text, retried) {
    var reply = null;
    return fetch(messagesUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "text/event-stream, application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify({ text: text, page: window.location.pathname }),
    })
      .then(function (response) {
        if (response.status === 403 && !retried) {
          // The CSRF token changed (the visitor signed in or out in another tab): fetch it, try once more.
          return load().then(function () {
            return post(text, true);
          });
        }
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("text/event-stream") === 0 && response.body) {
          input.value = "";
          say("");
          reply = bubble("assistant");
          reply.classList.add("iw-chat-pending");
          return readStream(response, reply);
        }
        return response
          .json()
          .catch(function () {
            return { message: "Sorry, that didn't go through. Please try again." };
          })
          .then(function (data) {
            if (data.visitor) {
              show(data.visitor);
              input.value = "";
            }
            if (!response.ok || !data.reply) throw new Error(data.message || "Please try again.");
            show(data.reply);
            say("");
          });
      })
      .then(
        function () {
          if (reply) reply.classList.remove("iw-chat-pending");
        },
        function (error) {
          if (reply) {
            reply.classList.remove("iw-chat-pending");
            if (!reply.querySelector(".iw-chat-text").textContent && reply.parentNode) {
              reply.parentNode.removeChild(reply);
            }
          }
          throw error;
        }
      );
  }

  function submit(event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || sending) return;
    var ready = csrf ? Promise.resolve() : load();
    ready.then(
      function () {
        return send(text);
      },
      function () {
        say("The chat can't be reached right now. Please try again in a moment.");
      }
    );
  }

  openButton.addEventListener("click", function () {
    if (panel.hidden) open();
    else close();
  });
  closeButton.addEventListener("click", close);
  form.addEventListener("submit", submit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : submit(event);
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    var items = focusables();
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !panel.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (panel.hidden) return;
    if (document.visibilityState === "visible") {
      load().catch(function () {});
      poll();
    } else stopPolling();
  });
  openButton.hidden = false;
})();
