// Cluetrain's progressive enhancements. Every page works without this file;
// each enhancement below looks for its markup and does nothing if absent.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector('input[name="_csrf"]');
    return field ? field.value : "";
  }
  window.cluetrain = { csrfToken: csrfToken };
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
      fetch("/ideas/similar?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
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
