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
