/*
 * Evidence-ledger enhancements: sortable tables, the claim explorer, copy
 * buttons for citations, and a few accessibility fixes for theme markup.
 *
 * No dependencies and no requests to other hosts. Every page works without
 * this script: tables show in their built order, the explorer shows its static
 * listing page by page (its filter form stays hidden), and citation text can be
 * selected by hand.
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
  /*
   * Without JavaScript the explorer is a static listing, PAGE_SIZE claims a page. Here the
   * filter form appears; the first filter starts a Web Worker (kb-explorer-worker.js) that
   * fetches the claim data in shards and answers each query with a page of matching claims
   * and the facet counts, so typing never waits on 100,000 rows. The state lives in the URL:
   * one parameter per facet value and `words=` (never `q=`, which the theme's search reads).
   */

  var explorer = null;
  var SMALL_SCREEN = "(max-width: 44.9375em)";
  var RESULTS_PAGE = 50;
  var ROWS_A_FRAME = 10;

  function slug(value) {
    return String(value)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]/gu, "-")
      .replace(/^-+|-+$/g, "");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /* Links shared before the explorer moved its words to `words=`: rewritten before the theme reads `q`. */
  function rewriteOldQuery() {
    if (!document.getElementById("kb-facets")) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    if (!params.has("q")) {
      return;
    }
    var words = params.get("q");
    params.delete("q");
    if (words && !params.has("words")) {
      params.append("words", words);
    }
    var query = params.toString();
    window.history.replaceState(window.history.state, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }

  function Explorer(form) {
    this.form = form;
    this.input = form.querySelector("#kb-words");
    this.output = document.getElementById("kb-count");
    this.results = document.getElementById("kb-explorer-results");
    this.staticView = this.results ? Array.prototype.slice.call(this.results.childNodes) : [];
    this.keys = all("[data-kb-facet]", form).map(function (facet) {
      return facet.getAttribute("data-kb-facet");
    });
    this.vocabularies = {};
    var self = this;
    all("[data-kb-facet][data-kb-vocabulary]", form).forEach(function (facet) {
      self.vocabularies[facet.getAttribute("data-kb-facet")] = facet.getAttribute("data-kb-vocabulary");
    });
    this.root = form.getAttribute("data-kb-root") || "";
    this.worker = null;
    this.failed = false;
    this.asked = 0;
    this.shown = 0;
    this.timer = null;
    this.checkedPapers = {};
  }

  Explorer.prototype.state = function () {
    var form = this.form;
    var facets = {};
    this.keys.forEach(function (key) {
      var seen = {};
      facets[key] = all('input[type="checkbox"]', form)
        .filter(function (box) {
          return box.name === key && box.checked;
        })
        .map(function (box) {
          return box.value;
        })
        .filter(function (value) {
          var fresh = !seen[value]; /* a category under two parents has two boxes */
          seen[value] = true;
          return fresh;
        });
    });
    return { facets: facets, words: this.input ? squash(this.input.value) : "" };
  };

  Explorer.prototype.isEmpty = function (state) {
    return !state.words && this.keys.every(function (key) {
      return !state.facets[key].length;
    });
  };

  Explorer.prototype.query = function (state) {
    var params = new URLSearchParams();
    this.keys.forEach(function (key) {
      state.facets[key].forEach(function (value) {
        params.append(key, value);
      });
    });
    if (state.words) {
      params.append("words", state.words);
    }
    return params.toString();
  };

  Explorer.prototype.restore = function (search) {
    var params = new URLSearchParams(search);
    var papers = params.getAll("paper");
    this.checkedPapers = {};
    var self = this;
    papers.forEach(function (pid) {
      self.checkedPapers[pid] = true;
    });
    this.ensurePaperBoxes(papers);
    all('input[type="checkbox"]', this.form).forEach(function (box) {
      box.checked = params.getAll(box.name).indexOf(box.value) !== -1;
      if (box.checked) {
        showBox(box);
      }
    });
    if (this.input) {
      this.input.value = params.get("words") || "";
    }
  };

  /* A chosen category deep in the tree: the branches above it open, so the reader sees the tick. */
  function showBox(box) {
    var details = box.closest("details.kb-tree-branch");
    while (details) {
      details.open = true;
      details = details.parentNode ? details.parentNode.closest("details.kb-tree-branch") : null;
    }
  }

  /* A paper chosen in a shared link gets its box before the data has arrived. */
  Explorer.prototype.ensurePaperBoxes = function (papers) {
    var holder = this.form.querySelector(".kb-paper-facet");
    if (!holder) {
      return;
    }
    papers.forEach(function (pid) {
      var exists = all('input[name="paper"]', holder).some(function (box) {
        return box.value === pid;
      });
      if (!exists) {
        holder.appendChild(paperBox(pid, pid, null));
      }
    });
  };

  function paperBox(pid, title, count) {
    var label = element("label");
    var box = element("input");
    box.type = "checkbox";
    box.name = "paper";
    box.value = pid;
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + title + " "));
    var note = element("span", "kb-note kb-facet-count", count === null ? "" : "(" + count + ")");
    note.setAttribute("data-kb-count", "paper:" + pid);
    label.appendChild(note);
    return label;
  }

  Explorer.prototype.startWorker = function () {
    if (this.worker || this.failed) {
      return this.worker;
    }
    var self = this;
    try {
      var url = new URL(this.form.getAttribute("data-kb-worker"), window.location.href);
      this.worker = new Worker(url.href);
    } catch (error) {
      this.fail("The filters could not start here (" + error.message + "); the listing below shows every claim, page by page.");
      return null;
    }
    this.worker.onmessage = function (event) {
      self.onMessage(event.data);
    };
    this.worker.onerror = function () {
      self.fail("The filters could not load the claim data here; the listing below shows every claim, page by page.");
    };
    var base = new URL(this.form.getAttribute("data-kb-data"), window.location.href);
    this.worker.postMessage({ type: "load", base: base.href });
    return this.worker;
  };

  Explorer.prototype.fail = function (message) {
    this.failed = true;
    this.worker = null;
    if (this.output) {
      this.output.textContent = message;
    }
    this.showStatic();
  };

  Explorer.prototype.showStatic = function () {
    if (!this.results) {
      return;
    }
    var results = this.results;
    while (results.firstChild) {
      results.removeChild(results.firstChild);
    }
    this.staticView.forEach(function (node) {
      results.appendChild(node);
    });
  };

  Explorer.prototype.filter = function (offset) {
    var state = this.state();
    if (this.isEmpty(state) && !this.worker) {
      return; /* nothing chosen yet: the static first page is the answer, and nothing is fetched */
    }
    if (!this.startWorker()) {
      return;
    }
    this.asked += 1;
    this.worker.postMessage({ type: "query", id: this.asked, state: state, offset: offset || 0, limit: RESULTS_PAGE });
  };

  Explorer.prototype.onMessage = function (message) {
    if (message.type === "progress" && this.output) {
      this.output.textContent = "Loading the claims… " + message.loaded + " of " + message.total + " parts";
    } else if (message.type === "error") {
      this.fail("The claim data could not be loaded (" + message.message + "); the listing below shows every claim, page by page.");
    } else if (message.type === "result" && message.id === this.asked) {
      this.show(message);
    }
  };

  Explorer.prototype.badge = function (key, value) {
    var vocabulary = this.vocabularies[key] || key;
    var link = element("a", "kb-badge", value); /* kb.css styles it by the definition it links */
    link.href = this.root + "methodology/#" + vocabulary + "-" + slug(value);
    return link;
  };

  Explorer.prototype.row = function (item, keys) {
    var self = this;
    var tr = element("tr");
    tr.id = item.id;
    var claim = element("td", "kb-claim-text", item.claim + " ");
    claim.setAttribute("data-label", "Claim");
    var permalink = element("a", "kb-permalink", item.id);
    permalink.href = this.root + "claims/" + item.id + "/";
    permalink.title = "Permanent link to this claim";
    claim.appendChild(permalink);
    tr.appendChild(claim);
    var paper = element("td");
    paper.setAttribute("data-label", "Paper");
    if (item.paperUrl) {
      var link = element("a", "", item.paperTitle);
      link.href = this.root + item.paperUrl + "#" + item.id;
      paper.appendChild(link);
    } else {
      paper.appendChild(element("code", "", item.paper));
    }
    tr.appendChild(paper);
    var labels = { claim_status: "Status", evidence_status: "Evidence", source_depth: "Depth", fit: "Fit", audit: "Audit" };
    ["claim_status", "evidence_status", "source_depth", "fit", "audit"].forEach(function (key) {
      var cell = element("td");
      cell.setAttribute("data-label", labels[key]);
      var at = keys.indexOf(key);
      if (at !== -1) {
        cell.appendChild(self.badge(key, item.values[at]));
      }
      tr.appendChild(cell);
    });
    return tr;
  };

  /* Results are drawn a few rows a frame, newest query only: the page never stalls while words are typed. */
  Explorer.prototype.show = function (message) {
    var self = this;
    var token = (this.drawing = (this.drawing || 0) + 1);
    if (this.output) {
      this.output.textContent = message.matched + " of " + message.total + " claims match";
    }
    var results = this.results;
    if (!results) {
      return;
    }
    results.setAttribute("aria-busy", "true");
    var rows = message.rows.slice();
    var body = null;
    var counted = false;
    function step() {
      if (token !== self.drawing) {
        return; /* a newer result took over */
      }
      if (!counted) {
        counted = true;
        self.updateCounts(message);
        window.requestAnimationFrame(step);
        return;
      }
      if (!body) {
        body = message.offset === 0 ? self.clearResults(message) : results.querySelector("tbody");
      }
      var fragment = document.createDocumentFragment();
      rows.splice(0, ROWS_A_FRAME).forEach(function (item) {
        fragment.appendChild(self.row(item, message.keys));
        self.shown += 1;
      });
      body.appendChild(fragment);
      if (rows.length) {
        window.requestAnimationFrame(step);
        return;
      }
      self.moreButton(message);
      results.setAttribute("aria-busy", "false");
    }
    window.requestAnimationFrame(step);
  };

  /* An empty results table (and its "no match" note) in place of whatever was shown. */
  Explorer.prototype.clearResults = function (message) {
    var results = this.results;
    while (results.firstChild) {
      results.removeChild(results.firstChild);
    }
    var wrap = element("div", "kb-table-wrap");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "Matching claims");
    wrap.tabIndex = 0;
    var table = element("table", "kb-claims kb-claim-list");
    var head = element("thead");
    var headRow = element("tr");
    ["Claim", "Paper", "Status", "Evidence", "Depth", "Fit", "Audit"].forEach(function (name) {
      var th = element("th", "", name);
      th.scope = "col";
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = element("tbody");
    table.appendChild(body);
    wrap.appendChild(table);
    var empty = element("p", "kb-no-results", "No claim matches these filters.");
    empty.hidden = message.matched !== 0;
    results.appendChild(empty);
    results.appendChild(wrap);
    this.shown = 0;
    return body;
  };

  Explorer.prototype.moreButton = function (message) {
    var self = this;
    var results = this.results;
    var more = results.querySelector(".kb-more");
    if (more) {
      more.parentNode.removeChild(more);
    }
    if (this.shown < message.matched) {
      var left = message.matched - this.shown;
      more = element("button", "md-button kb-more", "Show " + Math.min(RESULTS_PAGE, left) + " more of " + left);
      more.type = "button";
      more.addEventListener("click", function () {
        self.filter(self.shown);
      });
      results.appendChild(more);
    }
  };

  Explorer.prototype.updateCounts = function (message) {
    var form = this.form;
    var signature = JSON.stringify([message.counts, message.papers]);
    if (signature === this.countsShown) {
      return; /* words that change nothing leave the facets alone */
    }
    this.countsShown = signature;
    all("[data-kb-count]", form).forEach(function (node) {
      var parts = node.getAttribute("data-kb-count").split(":");
      var key = parts.shift();
      var value = parts.join(":");
      if (key === "paper") {
        return;
      }
      var count = (message.counts[key] || {})[value] || 0;
      node.textContent = "(" + count + ")";
    });
    var holder = form.querySelector(".kb-paper-facet");
    if (!holder) {
      return;
    }
    var checked = {};
    all('input[name="paper"]', holder).forEach(function (box) {
      if (box.checked) {
        checked[box.value] = true;
      }
    });
    while (holder.firstChild) {
      holder.removeChild(holder.firstChild);
    }
    message.papers.forEach(function (paper) {
      var label = paperBox(paper[0], paper[1], paper[2]);
      label.firstChild.checked = !!checked[paper[0]];
      holder.appendChild(label);
    });
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

  Explorer.prototype.syncTwins = function (box) {
    /* A category under two parents shows twice: both boxes say the same. */
    all('input[type="checkbox"]', this.form).forEach(function (other) {
      if (other !== box && other.name === box.name && other.value === box.value) {
        other.checked = box.checked;
      }
    });
  };

  Explorer.prototype.start = function () {
    var self = this;
    var form = this.form;
    this.restore(window.location.search);
    if (window.matchMedia && window.matchMedia(SMALL_SCREEN).matches) {
      all("details.kb-filters, details.kb-facet", form).forEach(function (details) {
        details.open = false; /* the first claims stay in view on a phone */
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.type === "checkbox") {
        self.syncTwins(event.target);
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
    this.filter();
  };

  Explorer.prototype.onPopState = function () {
    window.clearTimeout(this.timer);
    this.timer = null;
    this.restore(window.location.search);
    this.filter();
  };

  function initExplorer() {
    var form = document.getElementById("kb-facets");
    if (!form) {
      explorer = null;
      return;
    }
    if (explorer && explorer.form === form) {
      return;
    }
    explorer = new Explorer(form);
    explorer.start();
  }

  window.addEventListener("popstate", function () {
    if (explorer && document.body.contains(explorer.form)) {
      explorer.onPopState();
    }
  });

  rewriteOldQuery();

  /* --- palette toggle on pages written without the theme's script (claim permalinks) -------------- */

  function initPalette(root) {
    all("form[data-kb-palette]", root).forEach(function (form) {
      var inputs = all('input[name="__palette"]', form);
      var stored = typeof window.__md_get === "function" ? window.__md_get("__palette") : null;
      var scheme = document.body.getAttribute("data-md-color-scheme");
      var current = stored && stored.color
        ? inputs.filter(function (input) {
            return input.getAttribute("data-md-color-scheme") === scheme;
          })[0]
        : inputs.filter(function (input) {
            var media = input.getAttribute("data-md-color-media");
            return media && window.matchMedia && window.matchMedia(media).matches; /* as the theme picks it */
          })[0];
      current = current || inputs[0];
      if (!current) {
        return;
      }
      current.checked = true;
      ["scheme", "primary", "accent"].forEach(function (key) {
        document.body.setAttribute("data-md-color-" + key, current.getAttribute("data-md-color-" + key));
      });
      function showToggle() {
        inputs.forEach(function (input) {
          var label = input.nextElementSibling;
          if (label) {
            label.hidden = !input.checked; /* the checked scheme's label offers the next one */
          }
        });
      }
      showToggle();
      form.addEventListener("change", function (event) {
        var input = event.target;
        showToggle();
        var color = {};
        ["media", "scheme", "primary", "accent"].forEach(function (key) {
          color[key] = input.getAttribute("data-md-color-" + key);
          if (key !== "media") {
            document.body.setAttribute("data-md-color-" + key, color[key]);
          }
        });
        if (typeof window.__md_set === "function") {
          window.__md_set("__palette", { index: inputs.indexOf(input), color: color });
        }
      });
    });
  }

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

  /* Material's own copy button (feature content.code.copy) serves every page MkDocs builds; this one is
     only for pages written without Material's JavaScript (the claim permalink pages). */
  function materialCopiesCode() {
    var config = document.getElementById("__config");
    try {
      return JSON.parse(config.textContent).features.indexOf("content.code.copy") !== -1;
    } catch (error) {
      return false;
    }
  }

  function initCopy(root) {
    if (materialCopiesCode()) {
      return;
    }
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
    initPalette(root);
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
