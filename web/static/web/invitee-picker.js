/* The invitee picker of the meeting forms: filters the listed people as one types (the ticked ones
   stay) and says how many remain in the status line. Without JavaScript the "Search" button asks the
   server for the same list. */
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("[data-invitee-picker]").forEach(function (picker) {
    var search = picker.querySelector(".picker-search input");
    var status = picker.querySelector("[role=status]");
    var items = Array.prototype.slice.call(picker.querySelectorAll("[data-picker-item]"));
    if (!search || !status) {
      return;
    }
    var timer = null;
    function filter() {
      var terms = fold(search.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var box = item.querySelector("input");
        var label = fold(item.textContent);
        var match = (box && box.checked) || terms.every(function (term) { return label.indexOf(term) !== -1; });
        item.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      status.textContent = shown ? status.dataset.some.replace("__N__", String(shown)) : status.dataset.none;
    }
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(filter, 250);
    });
  });
})();
