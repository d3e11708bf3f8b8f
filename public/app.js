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
          if (message) message.textContent = (r.data && r.data.error) || "That didn't work. Please try again.";
          return;
        }
        count.textContent = String(r.data.votes);
        button.setAttribute("aria-pressed", r.data.voted ? "true" : "false");
        if (label) label.textContent = r.data.voted ? "Voted" : "Vote";
        form.setAttribute("action", base + (r.data.voted ? "/unvote" : "/vote"));
        if (message) message.textContent = "";
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
