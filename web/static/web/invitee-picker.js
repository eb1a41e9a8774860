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
    // Enter in the search field filters at once instead of sending the whole form.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        window.clearTimeout(timer);
        filter();
      }
    });
    // The server's search stays one click away, but its button is no longer the form's default one, so
    // that Enter in another field sends the form as its main button does.
    var button = picker.querySelector("button[name=search_people]");
    if (button && button.form) {
      button.type = "button";
      button.addEventListener("click", function () {
        var flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "search_people";
        flag.value = "1";
        button.form.appendChild(flag);
        button.form.submit();
      });
    }
  });
})();
