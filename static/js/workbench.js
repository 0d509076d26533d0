/* The matching workbench's keyboard and running sums (CSP-safe: no inline script, no eval).
 *
 * j / k move the current line (its panel loads on the right), x selects it for a manual match,
 * a / r accept or reject the panel's best suggestion, u undoes its match, w writes off the
 * residual, i goes to the panel's invoices (Space ticks one, Tab moves on), m submits the manual
 * match, / searches the lines, ? shows the keys, Esc leaves a field. The server swaps only
 * changed rows (out of band), so the current line is remembered by its sequence number and
 * marked again after every swap.
 */
(function () {
  "use strict";

  var current = null; // sequence number of the current line (a string)
  var loading = 0; // the pending panel load (a timer id)

  function workbench() { return document.getElementById("wb-lines"); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#wb-lines tr[data-line]")); }
  function rowFor(seq) { return seq === null ? null : document.getElementById("line-" + seq); }

  function cents(text) {
    var value = Math.round(parseFloat(String(text || "0").replace(/,/g, "")) * 100);
    return isNaN(value) ? 0 : value;
  }
  function money(c) {
    var sign = c < 0 ? "-" : "";
    c = Math.abs(c);
    return sign + Math.floor(c / 100) + "." + String(c % 100).padStart(2, "0");
  }

  function updateSums() {
    var lines = 0, invoices = 0;
    document.querySelectorAll('input[name="lines"][form="wb-manual"]:checked').forEach(function (box) {
      lines += cents(box.dataset.remaining);
    });
    document.querySelectorAll('input[name="invoices"][form="wb-manual"]:checked').forEach(function (box) {
      var typed = document.querySelector('input[name="amount_' + box.value + '"]');
      invoices += typed && typed.value.trim() ? cents(typed.value) : cents(box.dataset.room);
    });
    var set = function (id, value) { var el = document.getElementById(id); if (el) el.textContent = money(value); };
    set("wb-sum-lines", lines);
    set("wb-sum-invoices", invoices);
    set("wb-diff", lines - invoices);
  }

  function mark() {
    rows().forEach(function (row) {
      var on = row.dataset.line === current;
      row.classList.toggle("current", on);
      if (on) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
    var focus = document.getElementById("wb-focus");
    if (focus) focus.value = current || "";
  }

  function select(row) {
    if (!row) return;
    current = row.dataset.line;
    mark();
    row.scrollIntoView({ block: "nearest" });
    // Held keys move faster than the server answers: load the panel of the line the user stops on.
    window.clearTimeout(loading);
    loading = window.setTimeout(function () {
      htmx.ajax("GET", row.dataset.panel, { target: "#wb-panel", swap: "outerHTML" });
    }, 120);
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(rowFor(current));
    var next = index === -1 ? 0 : Math.min(Math.max(index + step, 0), all.length - 1);
    if (all[next] !== rowFor(current)) select(all[next]);
  }

  function press(selector) {
    var button = document.querySelector("#wb-panel " + selector);
    if (!button) return;
    // A key pressed right after a swap can reach a form htmx has not processed yet: a click would then
    // submit it natively (a full page load). Send it through htmx directly, as the form says.
    var form = button.closest("form");
    var url = form && form.getAttribute("hx-post");
    if (url) {
      htmx.ajax("POST", url, { source: form, target: form.getAttribute("hx-target") || "#wb-panel", swap: form.getAttribute("hx-swap") || "outerHTML" });
    } else {
      button.click();
    }
  }

  function toggleHelp() {
    var dialog = document.getElementById("wb-help");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (!workbench() || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" && target.type !== "checkbox" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (event.key === "Escape") {
      if (target && target !== document.body && target.blur) target.blur();
      return;
    }
    if (typing) {
      // Enter in a split amount submits the manual match; everything else is typing.
      return;
    }
    var dialog = document.getElementById("wb-help");
    if (dialog && dialog.open && event.key !== "?") return;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": {
        var row = rowFor(current);
        var box = row && row.querySelector('input[name="lines"]');
        if (box) { box.checked = !box.checked; updateSums(); }
        break;
      }
      case "a": press('[data-key="accept"]'); break;
      case "r": press('[data-key="reject"]'); break;
      case "u": press('[data-key="undo"]'); break;
      case "w": press('[data-key="writeoff"]'); break;
      case "i": {
        // To the panel's invoices: Space ticks one, Tab moves on (to its split amount, the next
        // invoice), Esc comes back to the keys.
        var first = document.querySelector('#wb-panel input[name="invoices"]');
        if (first) first.focus();
        break;
      }
      case "m": {
        var form = document.getElementById("wb-manual");
        if (form) form.requestSubmit();
        break;
      }
      case "/": {
        var search = document.getElementById("wb-search");
        if (search) { search.focus(); search.select(); }
        break;
      }
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "wb-help-open") { toggleHelp(); return; }
    var row = event.target.closest && event.target.closest("#wb-lines tr[data-line]");
    if (row && !(event.target.matches && event.target.matches("input"))) select(row);
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.getAttribute && event.target.getAttribute("form") === "wb-manual") updateSums();
  });
  document.addEventListener("input", function (event) {
    if (event.target && event.target.name && event.target.name.indexOf("amount_") === 0) updateSums();
  });

  // After any swap (a new page of lines, an out-of-band row, the panel) mark the current line again.
  document.addEventListener("htmx:afterSettle", function () {
    if (current !== null && !rowFor(current)) current = null;
    mark();
    updateSums();
  });
})();
