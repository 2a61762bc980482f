/*
 * Evidence-ledger enhancements: sortable tables, the claim explorer, copy
 * buttons for citations, and a few accessibility fixes for theme markup.
 *
 * No dependencies and no network requests. Every page works without this
 * script: tables show in their built order, the explorer shows every claim
 * (its filter form stays hidden), and citation text can be selected by hand.
 */
(function () {
  "use strict";

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function squash(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  function liveRegion(className) {
    var region = document.createElement("span");
    region.className = className;
    region.setAttribute("role", "status");
    return region;
  }

  /* --- sortable tables ------------------------------------------------------------ */

  function sortKey(cell, numeric) {
    var text = squash(cell ? cell.textContent : "");
    if (!numeric) {
      return text;
    }
    var number = parseFloat(text.replace(/[^0-9eE+.\-]/g, ""));
    return isNaN(number) ? null : number;
  }

  function compareKeys(a, b, numeric) {
    if (a === null || a === "") {
      return b === null || b === "" ? 0 : 1;
    }
    if (b === null || b === "") {
      return -1;
    }
    if (numeric) {
      return a - b;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortTable(table, headers, index, status) {
    var header = headers[index];
    var direction = header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var numeric = header.getAttribute("data-kb-type") === "number";
    var body = table.tBodies[0];
    if (!body) {
      return;
    }
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: sortKey(row.cells[index], numeric), position: position };
    });
    rows.sort(function (left, right) {
      var empty = left.key === null || left.key === "" || right.key === null || right.key === "";
      var order = compareKeys(left.key, right.key, numeric);
      if (!empty && direction === "descending") {
        order = -order;
      }
      return order || left.position - right.position;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (item) {
      fragment.appendChild(item.row);
    });
    body.appendChild(fragment);
    headers.forEach(function (other) {
      if (other !== header) {
        other.removeAttribute("aria-sort");
      }
    });
    header.setAttribute("aria-sort", direction);
    status.textContent = "Sorted by " + squash(header.textContent) + ", " + direction + ".";
  }

  function initSortable(root) {
    all("table.kb-sortable", root).forEach(function (table) {
      if (table.getAttribute("data-kb-ready") === "sortable") {
        return;
      }
      table.setAttribute("data-kb-ready", "sortable");
      var headers = all("thead th", table);
      var status = liveRegion("kb-sr-only");
      table.parentNode.insertBefore(status, table);
      headers.forEach(function (header, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "kb-sort-button";
        while (header.firstChild) {
          button.appendChild(header.firstChild);
        }
        header.appendChild(button);
        button.addEventListener("click", function () {
          sortTable(table, headers, index, status);
        });
      });
    });
  }

  /* --- claim explorer ------------------------------------------------------------------- */

  var explorer = null;

  function Explorer(form, facetData) {
    this.form = form;
    this.data = facetData;
    this.input = form.querySelector("#kb-q");
    this.output = document.getElementById("kb-count");
    this.keys = all("fieldset[data-kb-facet]", form).map(function (fieldset) {
      return fieldset.getAttribute("data-kb-facet");
    });
    var table = document.querySelector(".kb-explorer-table table") || document.querySelector("table.kb-claims");
    this.rows = table && table.tBodies[0] ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
    this.texts = this.rows.map(function (row) {
      return squash(row.textContent).toLowerCase();
    });
    this.empty = document.createElement("p");
    this.empty.className = "kb-no-results";
    this.empty.hidden = true;
    this.empty.textContent = "No claim matches these filters.";
    if (table) {
      var wrap = table.closest(".kb-table-wrap") || table;
      wrap.parentNode.insertBefore(this.empty, wrap.nextSibling);
    }
    this.timer = null;
  }

  Explorer.prototype.state = function () {
    var form = this.form;
    var facets = {};
    this.keys.forEach(function (key) {
      facets[key] = all('input[type="checkbox"]', form)
        .filter(function (box) {
          return box.name === key && box.checked;
        })
        .map(function (box) {
          return box.value;
        });
    });
    return { facets: facets, q: this.input ? squash(this.input.value) : "" };
  };

  Explorer.prototype.query = function (state) {
    var params = new URLSearchParams();
    this.keys.forEach(function (key) {
      state.facets[key].forEach(function (value) {
        params.append(key, value);
      });
    });
    if (state.q) {
      params.append("q", state.q);
    }
    return params.toString();
  };

  Explorer.prototype.restore = function (search) {
    var params = new URLSearchParams(search);
    all('input[type="checkbox"]', this.form).forEach(function (box) {
      box.checked = params.getAll(box.name).indexOf(box.value) !== -1;
    });
    if (this.input) {
      this.input.value = params.get("q") || "";
    }
  };

  Explorer.prototype.filter = function () {
    var state = this.state();
    var words = state.q.toLowerCase().split(" ").filter(Boolean);
    var keys = this.keys;
    var data = this.data;
    var texts = this.texts;
    var shown = 0;
    this.rows.forEach(function (row, index) {
      var facets = data[row.id] || {};
      var match = keys.every(function (key) {
        var wanted = state.facets[key];
        if (!wanted.length) {
          return true;
        }
        var values = facets[key] || [];
        if (!Array.isArray(values)) {
          values = [values];
        }
        return wanted.some(function (value) {
          return values.indexOf(value) !== -1;
        });
      });
      match =
        match &&
        words.every(function (word) {
          return texts[index].indexOf(word) !== -1;
        });
      row.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    if (this.output) {
      this.output.textContent = shown + " of " + this.rows.length + " claims shown";
    }
    this.empty.hidden = shown !== 0;
  };

  Explorer.prototype.commit = function () {
    window.clearTimeout(this.timer);
    this.timer = null;
    var query = this.query(this.state());
    var current = new URLSearchParams(window.location.search).toString();
    if (query !== current) {
      var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
      window.history.pushState({ kbExplorer: query }, "", url);
    }
  };

  Explorer.prototype.start = function () {
    var self = this;
    var form = this.form;
    this.restore(window.location.search);
    this.filter();
    form.addEventListener("change", function (event) {
      if (event.target && event.target.type === "checkbox") {
        self.filter();
        self.commit();
      }
    });
    if (this.input) {
      this.input.addEventListener("input", function () {
        self.filter();
        window.clearTimeout(self.timer);
        self.timer = window.setTimeout(function () {
          self.commit();
        }, 500);
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.filter();
      self.commit();
    });
    form.addEventListener("reset", function () {
      window.setTimeout(function () {
        self.filter();
        self.commit();
      }, 0);
    });
    form.hidden = false;
  };

  Explorer.prototype.onPopState = function () {
    window.clearTimeout(this.timer);
    this.timer = null;
    this.restore(window.location.search);
    this.filter();
  };

  function initExplorer() {
    var form = document.getElementById("kb-facets");
    var source = document.getElementById("kb-claim-facets");
    if (!form || !source) {
      explorer = null;
      return;
    }
    if (explorer && explorer.form === form) {
      return;
    }
    var facetData;
    try {
      facetData = JSON.parse(source.textContent || "{}");
    } catch (error) {
      return; /* the full table stays, as without JavaScript */
    }
    explorer = new Explorer(form, facetData || {});
    explorer.start();
  }

  window.addEventListener("popstate", function () {
    if (explorer && document.body.contains(explorer.form)) {
      explorer.onPopState();
    }
  });

  /* --- copy buttons for citation blocks ------------------------------------------------------- */

  function copyBySelection(node) {
    var selection = window.getSelection();
    var range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    if (copied) {
      selection.removeAllRanges();
    }
    return copied;
  }

  function copyText(node) {
    var text = node.textContent || "";
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          return copyBySelection(node);
        }
      );
    }
    return Promise.resolve(copyBySelection(node));
  }

  function initCopy(root) {
    all("[data-kb-cite] .kb-copy-target", root).forEach(function (target) {
      if (target.getAttribute("data-kb-ready") === "copy") {
        return;
      }
      target.setAttribute("data-kb-ready", "copy");
      var block = target.closest("pre") || target;
      var details = target.closest("details");
      var summary = details ? details.querySelector("summary") : null;
      var what = summary ? squash(summary.textContent) : "citation";
      var bar = document.createElement("div");
      bar.className = "kb-copy-bar";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kb-copy";
      button.textContent = "Copy " + what;
      var status = liveRegion("kb-copy-status");
      bar.appendChild(button);
      bar.appendChild(status);
      block.parentNode.insertBefore(bar, block);
      var timer = null;
      button.addEventListener("click", function () {
        copyText(target).then(function (copied) {
          status.textContent = copied
            ? what + " copied to the clipboard."
            : "Copying is blocked here: the text is selected, press Ctrl+C to copy it.";
          window.clearTimeout(timer);
          timer = window.setTimeout(function () {
            status.textContent = "";
          }, 5000);
        });
      });
    });
  }

  /* --- printing: absolute link targets ------------------------------------------------------------ */

  function initPrintLinks(root) {
    var canonical = document.querySelector('link[rel="canonical"]');
    var base = canonical && canonical.href ? canonical.href : window.location.href;
    all(".md-content a[href]", root).forEach(function (link) {
      var href = link.getAttribute("href");
      if (!href || href.charAt(0) === "#" || link.hasAttribute("data-kb-href")) {
        return;
      }
      try {
        link.setAttribute("data-kb-href", new URL(href, base).href);
      } catch (error) {
        /* leave the raw href for the print stylesheet */
      }
    });
  }

  /* --- accessibility fixes for theme markup -------------------------------------------------------- */

  function fixTheme(root) {
    /* Material marks the search overlay role="dialog" without a name. */
    all('.md-search[role="dialog"]', root).forEach(function (dialog) {
      if (!dialog.hasAttribute("aria-label") && !dialog.hasAttribute("aria-labelledby")) {
        dialog.setAttribute("aria-label", "Search");
      }
    });
  }

  /* --- start ---------------------------------------------------------------------------------------- */

  function init() {
    var root = document;
    fixTheme(root);
    initSortable(root);
    initExplorer();
    initCopy(root);
    initPrintLinks(root);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () {
      init();
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
