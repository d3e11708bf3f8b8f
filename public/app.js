// Cluetrain's progressive enhancements. Every page works without this file;
// each enhancement below looks for its markup and does nothing if absent.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector('input[name="_csrf"]');
    return field ? field.value : "";
  }
  window.cluetrain = { csrfToken: csrfToken };

  if (!window.fetch || !document.querySelector) return;

  // Voting in place: the form still posts without JavaScript; with it, the
  // count and the button change where they are. Anything unexpected falls
  // back to submitting the form normally.
  function enhanceVote(form) {
    var button = form.querySelector("button");
    var count = form.querySelector("[data-vote-count]");
    var label = form.querySelector("[data-vote-label]");
    var message = document.querySelector("[data-vote-message]");
    var base = form.getAttribute("action").replace(/\/(un)?vote$/, "");
    form.addEventListener("submit", function (event) {
      if (!button || !count) return;
      event.preventDefault();
      if (button.getAttribute("aria-busy") === "true") return;
      button.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() }
      }).then(function (resp) {
        return resp.json().then(function (data) { return { resp: resp, data: data }; });
      }).then(function (r) {
        button.removeAttribute("aria-busy");
        if (r.resp.status === 401) { form.submit(); return; }
        if (!r.resp.ok) {
          if (message) {
            message.textContent = (r.data && r.data.error) || "That didn't work. Please try again.";
            message.classList.add("is-error");
          }
          return;
        }
        count.textContent = String(r.data.votes);
        button.setAttribute("aria-pressed", r.data.voted ? "true" : "false");
        if (label) label.textContent = r.data.voted ? "Voted" : "Vote";
        form.setAttribute("action", base + (r.data.voted ? "/unvote" : "/vote"));
        if (message) { message.textContent = ""; message.classList.remove("is-error"); }
        // A withdrawn vote on a closed idea cannot be cast again.
        if (!r.data.voted && form.hasAttribute("data-closed")) {
          button.disabled = true;
          if (message) message.textContent = "This idea is no longer taking votes.";
        }
      }).catch(function () {
        button.removeAttribute("aria-busy");
        form.submit();
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-vote]"), enhanceVote);

  // Similar ideas while typing a title: a short pause after typing asks the
  // server for up to five ideas that share words with it.
  var input = document.querySelector("[data-similar-input]");
  var results = document.querySelector("[data-similar-results]");
  if (input && results) {
    var timer = null;
    var last = "";
    var seq = 0;
    var render = function (ideas) {
      results.textContent = "";
      if (!ideas.length) return;
      var box = document.createElement("div");
      box.className = "similar-box";
      var h = document.createElement("h2");
      h.className = "similar-heading";
      h.textContent = "Similar ideas already posted";
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = "If one of these says what you mean, vote for it instead: votes count for more together.";
      var list = document.createElement("ul");
      list.className = "similar-list";
      ideas.forEach(function (idea) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = idea.url;
        a.textContent = idea.title;
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = " " + idea.votes + (idea.votes === 1 ? " vote" : " votes") + (idea.status ? " · " + idea.status : "");
        li.appendChild(a);
        li.appendChild(meta);
        list.appendChild(li);
      });
      box.appendChild(h);
      box.appendChild(hint);
      box.appendChild(list);
      results.appendChild(box);
    };
    var lookup = function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 3) { render([]); return; }
      var mine = ++seq;
      fetch("/ideas/similar?q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (resp) {
        return resp.ok ? resp.json() : { ideas: [] };
      }).then(function (data) {
        if (mine === seq) render(data.ideas || []);
      }).catch(function () { /* suggestions are a nicety; stay quiet */ });
    };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 300);
    });
  }
})();

// Roadmap ordering by drag and drop, for staff. The buttons on each card do
// the same without JavaScript; a drop posts the same move and reloads, and
// any failure falls back to a plain reload.
(function () {
  "use strict";
  var board = document.querySelector("[data-roadmap]");
  if (!board || !window.fetch || !window.cluetrain) return;
  var dragged = null;

  function cardAfter(list, y) {
    var cards = list.querySelectorAll(".roadmap-card:not(.is-dragging)");
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) return cards[i];
    }
    return null;
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".roadmap-card[draggable]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.card);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    board.querySelectorAll(".is-drop").forEach(function (c) { c.classList.remove("is-drop"); });
  });
  board.addEventListener("dragover", function (e) {
    var col = e.target.closest && e.target.closest(".roadmap-col");
    if (!dragged || !col) return;
    e.preventDefault();
    board.querySelectorAll(".is-drop").forEach(function (c) { if (c !== col) c.classList.remove("is-drop"); });
    col.classList.add("is-drop");
  });
  board.addEventListener("drop", function (e) {
    var col = e.target.closest && e.target.closest(".roadmap-col");
    if (!dragged || !col) return;
    e.preventDefault();
    var list = col.querySelector(".roadmap-cards");
    var before = list ? cardAfter(list, e.clientY) : null;
    var body = new URLSearchParams();
    body.set("idea", dragged.dataset.card);
    body.set("status", col.dataset.status);
    if (before && before.dataset.card !== dragged.dataset.card) body.set("before", before.dataset.card);
    fetch("/roadmap/move", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": window.cluetrain.csrfToken(), "Accept": "application/json" },
      body: body
    }).then(function () { window.location.reload(); }, function () { window.location.reload(); });
  });
})();

// Merge search, for staff: suggests ideas by title as the original's number
// is typed. Without it (or if the search answers nothing) the field still
// takes a number or a link.
(function () {
  "use strict";
  var field = document.querySelector("[data-idea-search]");
  if (!field || !window.fetch) return;
  var list = document.getElementById(field.getAttribute("list"));
  var timer = null;
  field.addEventListener("input", function () {
    clearTimeout(timer);
    var q = field.value.trim();
    if (!list || q.length < 3 || /^[#\d\/]/.test(q)) return;
    timer = setTimeout(function () {
      fetch("/ideas/similar?q=" + encodeURIComponent(q) + "&merge=" + encodeURIComponent(field.dataset.ideaSearch), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) {
          var ideas = Array.isArray(data) ? data : (data && data.ideas) || [];
          list.textContent = "";
          ideas.forEach(function (idea) {
            if (!idea || !idea.id || String(idea.id) === field.dataset.ideaSearch) return;
            var opt = document.createElement("option");
            opt.value = String(idea.id);
            opt.label = "#" + idea.id + " " + (idea.title || "");
            list.appendChild(opt);
          });
        })
        .catch(function () {});
    }, 200);
  });
})();
