// Keyboard shortcuts, row selection, bulk bar and board drag-and-drop.
// Everything here is an enhancement: every action also works as a plain form or link.
(function () {
  "use strict";

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function typing(event) {
    const el = event.target;
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }

  // --- help dialog ---------------------------------------------------------------
  function toggleHelp() {
    const dialog = $("#shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  // --- rows: current row, selection ----------------------------------------------
  let lastChecked = null;

  function rows() {
    return $$("[data-row]");
  }

  function current() {
    return $("[data-row].current");
  }

  function setCurrent(row) {
    rows().forEach((r) => r.classList.remove("current"));
    if (!row) return;
    row.classList.add("current");
    row.scrollIntoView({ block: "nearest" });
    const link = $("[data-open]", row);
    if (link) link.focus({ preventScroll: true });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const index = all.indexOf(current());
    const next = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    setCurrent(all[next]);
  }

  function checkboxOf(row) {
    return row ? $('input[type="checkbox"][name="issues"]', row) : null;
  }

  function selectRange(from, to, checked) {
    const boxes = $$('input[type="checkbox"][name="issues"]');
    const a = boxes.indexOf(from);
    const b = boxes.indexOf(to);
    if (a < 0 || b < 0) return;
    boxes.slice(Math.min(a, b), Math.max(a, b) + 1).forEach((box) => (box.checked = checked));
  }

  function updateBulkBar() {
    const bar = $("#bulk");
    if (!bar) return;
    const chosen = $$('input[type="checkbox"][name="issues"]:checked');
    bar.hidden = chosen.length === 0;
    $(".bulk-count", bar).textContent = chosen.length + " selected";
    $$("[data-row]").forEach((row) => {
      const box = checkboxOf(row);
      row.classList.toggle("selected", Boolean(box && box.checked));
    });
  }

  function showBulkValue() {
    const action = $("[data-bulk-action]");
    if (!action) return;
    $$("#bulk select[data-for]").forEach((select) => {
      const shown = select.dataset.for.split(" ").includes(action.value);
      select.hidden = !shown;
      select.disabled = !shown;
    });
  }

  function toggle(row, shift) {
    const box = checkboxOf(row);
    if (!box) return;
    if (shift && lastChecked) {
      selectRange(lastChecked, box, !box.checked);
    } else {
      box.checked = !box.checked;
    }
    lastChecked = box;
    updateBulkBar();
  }

  // --- shortcuts -----------------------------------------------------------------
  function focusProperty(name) {
    const field = $("#prop-" + name);
    if (!field) return false;
    if (field.tagName === "SUMMARY") {
      field.parentElement.open = true;
      const first = $("input", field.parentElement);
      (first || field).focus();
    } else {
      field.focus();
    }
    return true;
  }

  function bulkAction(action, valueSelector) {
    const bar = $("#bulk");
    if (!bar || bar.hidden) return false;
    const select = $("[data-bulk-action]");
    select.value = action;
    showBulkValue();
    const value = $(valueSelector);
    if (value) value.focus();
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      const dialog = $("#shortcuts");
      if (dialog && dialog.open) dialog.close();
      return;
    }
    if (typing(event)) return;
    const key = event.key;
    const handlers = {
      "?": () => toggleHelp(),
      "/": () => {
        const search = $("#search");
        if (search) search.focus();
        return Boolean(search);
      },
      j: () => move(1),
      k: () => move(-1),
      Enter: () => {
        const row = current();
        if (!row || !row.dataset.href) return false;
        window.location.href = row.dataset.href;
      },
      x: () => toggle(current(), false),
      X: () => toggle(current(), true),
      c: () => {
        const link = $('[data-shortcut="c"]');
        if (link) window.location.href = link.href;
      },
      q: () => {
        const link = $('[data-shortcut="q"]');
        if (link) window.location.href = link.href;
        return Boolean(link);
      },
      a: () => focusProperty("assignees") || bulkAction("assign", "#bulk-assignee"),
      s: () => focusProperty("status") || bulkAction("status", "#bulk-status"),
      l: () => focusProperty("labels") || bulkAction("add_label", "#bulk-label"),
    };
    const handler = handlers[key];
    if (!handler) return;
    if (handler() !== false) event.preventDefault();
  });

  // --- clicks --------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest(".help-toggle")) {
      toggleHelp();
      return;
    }
    if (target.matches('input[type="checkbox"][name="issues"]')) {
      if (event.shiftKey && lastChecked) selectRange(lastChecked, target, target.checked);
      lastChecked = target;
      updateBulkBar();
      return;
    }
    if (target.matches("[data-select-all]")) {
      $$('input[type="checkbox"][name="issues"]').forEach((box) => (box.checked = target.checked));
      updateBulkBar();
      return;
    }
    if (target.matches("[data-clear-selection]")) {
      $$('input[type="checkbox"][name="issues"]').forEach((box) => (box.checked = false));
      const all = $("[data-select-all]");
      if (all) all.checked = false;
      updateBulkBar();
      return;
    }
    const copy = target.closest("[data-copy]");
    if (copy) {
      const field = $(copy.dataset.copy);
      if (field) {
        field.select();
        const done = () => {
          copy.textContent = "Copied";
          setTimeout(() => (copy.textContent = "Copy"), 2000);
        };
        if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => {});
        else if (document.execCommand("copy")) done();
      }
      return;
    }
    const show = target.closest("[data-show]");
    if (show) {
      const panel = $(show.dataset.show);
      if (panel) panel.hidden = false;
    }
    const row = target.closest("[data-row]");
    if (row && !target.closest("a, button, input, select, label, form")) setCurrent(row);
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-bulk-action]")) showBulkValue();
    if (target.closest("form[data-autosubmit]") && !target.matches("input[type=search]")) {
      target.form.requestSubmit();
    }
    if (target.matches("[data-reload-on-change]")) {
      const url = new URL(window.location.href);
      url.searchParams.set("team", target.value);
      const title = $("#id_title");
      if (title && title.value) url.searchParams.set("title", title.value);
      window.location.href = url.toString();
    }
  });

  // --- board drag and drop: drop submits the card's own move form ------------------
  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".issue-card");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.key);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", (event) => {
    const card = event.target.closest && event.target.closest(".issue-card");
    if (card) card.classList.remove("dragging");
    $$(".column.drop").forEach((c) => c.classList.remove("drop"));
  });
  document.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".column");
    if (!column) return;
    event.preventDefault();
    $$(".column.drop").forEach((c) => c !== column && c.classList.remove("drop"));
    column.classList.add("drop");
  });
  document.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".column");
    if (!column) return;
    event.preventDefault();
    const key = event.dataTransfer.getData("text/plain");
    const card = $$(".issue-card").find((c) => c.dataset.key === key);
    const form = card && $("form.move-form", card);
    if (!form) return;
    const select = $("select[name=status]", form);
    if (select.value === column.dataset.status) return;
    select.value = column.dataset.status;
    form.requestSubmit();
  });

  // After htmx swaps the results, selection state starts over.
  document.addEventListener("htmx:after:swap", () => {
    lastChecked = null;
    updateBulkBar();
    showBulkValue();
  });

  document.addEventListener("DOMContentLoaded", () => {
    showBulkValue();
    updateBulkBar();
  });
})();

// Keep shared filter URLs short: drop empty parameters from htmx GET requests.
document.addEventListener("htmx:config:request", (event) => {
  const ctx = event.detail && event.detail.ctx;
  if (!ctx || !ctx.request || String(ctx.request.method).toUpperCase() !== "GET") return;
  const body = ctx.request.body;
  if (body && typeof body.entries === "function") {
    for (const [name, value] of Array.from(body.entries())) {
      if (value === "") body.delete(name);
    }
  }
});

// A search box that has the focus when the page opens can be typed into before htmx is
// ready, and those keystrokes start no search. Search for what is already there: now if
// htmx is ready (otherwise the event is ignored), and when htmx sets the box up.
(function () {
  const BOX = "input[type=search][autofocus][hx-get]";
  function searchTyped(box) {
    if (box.matches && box.matches(BOX) && box.value) box.dispatchEvent(new Event("search"));
  }
  document.querySelectorAll(BOX).forEach(searchTyped);
  document.addEventListener("htmx:after:init", (event) => searchTyped(event.target));
})();
