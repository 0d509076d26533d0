/* VendorSync page behaviour (no inline scripts: the CSP forbids them).
 *
 * Filter forms (form[data-filters]): a changed dropdown or date filters at once; text and
 * amount fields filter on Enter only (the form's single "submit" trigger), so one change is one
 * request. After Back/Forward the controls are set from the address, which is the truth: htmx
 * restores a snapshot whose controls show the values the page was first rendered with.
 */
(function () {
  "use strict";

  function syncFiltersFromAddress() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[data-filters]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || field.type === "submit" || field.type === "button") return;
        var value = params.get(field.name);
        field.value = value === null ? "" : value;
      });
    });
  }

  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.closest && field.closest("form[data-filters]");
    if (!form) return;
    if (field.tagName === "SELECT" || field.type === "date") {
      form.requestSubmit();
    }
  });

  // Select every case on the page for a bulk action.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    var scope = box.closest("form") || document;
    scope.querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });

  document.addEventListener("htmx:historyRestore", syncFiltersFromAddress);
  window.addEventListener("popstate", function () { window.setTimeout(syncFiltersFromAddress, 0); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) syncFiltersFromAddress(); });
})();
