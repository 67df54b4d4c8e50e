/* Staff console: live queue and transcript over server-sent events; canned replies. No libraries.
   Fragments come from the server already escaped; they are swapped in as they are. */
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  var transcript = document.getElementById("transcript");

  function reload(element, onLoaded) {
    fetch(element.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/desk/login"; return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        element.innerHTML = html;
        if (onLoaded) onLoaded();
      })
      .catch(function () { /* the next event tries again */ });
  }

  function transcriptChanged() {
    // Someone claimed, transferred or resolved: the buttons below the transcript are stale.
    var state = transcript.querySelector(".state");
    if (state && state.getAttribute("data-state") !== transcript.getAttribute("data-state")) {
      var typing = document.getElementById("reply-text");
      if (!typing || !typing.value) window.location.reload();
    }
    showNewest();
  }

  function showNewest() {
    // Scroll the transcript's own box to its newest message; the page itself stays where it is.
    var list = transcript.querySelector(".transcript");
    if (list) list.scrollTop = list.scrollHeight;
  }

  if (window.EventSource && (queue || transcript)) {
    var events = new EventSource("/desk/events");
    events.addEventListener("queue", function () { if (queue) reload(queue); });
    events.addEventListener("conversation", function (event) {
      if (!transcript) return;
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (String(data.id) === transcript.getAttribute("data-conversation")) reload(transcript, transcriptChanged);
    });
  }

  var reply = document.getElementById("reply-text");
  Array.prototype.forEach.call(document.querySelectorAll("[data-canned]"), function (button) {
    button.addEventListener("click", function () {
      if (!reply) return;
      reply.value = button.getAttribute("data-canned");
      reply.focus();
    });
  });
  if (transcript) {
    showNewest();
    // Where the eye goes: the reply box (or the Claim button), focused and so scrolled into view.
    var next = reply || document.querySelector("form[action$='/claim'] button");
    if (next) next.focus();
  }
})();
