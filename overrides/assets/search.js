/* Header search with Pagefind, in Material's search box and result list.

   The bundle (pagefind/ at the site root, written by generator/publish/search.py)
   is imported from this site only, on first use; Pagefind then fetches just the
   index shards for the words typed. The site root comes from Material's own
   #__config "base", so search works under a sub-path (site_url) and in `kb serve`.
   Result titles and snippets are rebuilt as text: only Pagefind's <mark> survives.

   What the first query costs: the query runs once typing pauses, not on every key
   (Pagefind's debouncedSearch also fetches the shards of each prefix typed, "r",
   "ro", "rou"...: 90 KB more for "routing" at 10,000 papers), and results arrive
   BATCH at a time: each needs its own fragment file, so more load as the end of
   the list comes into view. */
(function () {
  "use strict";

  var box = document.querySelector("[data-kb-search]");
  var toggle = document.getElementById("__search");
  if (!box || !toggle) return;
  var input = box.querySelector("[data-kb-search-query]");
  var form = box.querySelector("[data-kb-search-form]");
  var meta = box.querySelector(".md-search-result__meta");
  var list = box.querySelector(".md-search-result__list");
  var config = JSON.parse(document.getElementById("__config").textContent);
  var words = config.translations || {};
  var root = new URL(config.base.replace(/\/?$/, "/"), location.href);
  var BATCH = 5;
  var PAUSE_MS = 150;
  var MAX_SUB_RESULTS = 3;
  var loading = null;
  var latest = 0;
  var waiting = null; // the query waiting for typing to pause
  var pending = []; // results of the shown query not yet on the list
  var more = new IntersectionObserver(function (seen) {
    if (seen.some(function (entry) { return entry.isIntersecting; })) showMore(latest).catch(unavailable);
  });

  function pagefind() {
    if (!loading) {
      loading = import(new URL("pagefind/pagefind.js", root).href).then(function (module) {
        return module.options({ baseUrl: root.pathname, excerptLength: 24 }).then(function () {
          module.init();
          return module;
        });
      });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  function say(text) {
    meta.textContent = text;
  }

  function unavailable(error) {
    say("Search is unavailable: " + error.message);
  }

  function count(n) {
    if (n === 0) return words["search.result.none"] || "No matching documents";
    if (n === 1) return words["search.result.one"] || "1 matching document";
    return (words["search.result.other"] || "# matching documents").replace("#", String(n));
  }

  /* Pagefind's excerpt is HTML with <mark> around hits; keep its text and marks, nothing else. */
  function excerpt(html) {
    var parsed = document.createElement("template");
    parsed.innerHTML = html;
    var out = document.createElement("p");
    parsed.content.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function entry(url, title, html, level) {
    var link = document.createElement("a");
    link.className = "md-search-result__link";
    link.href = url;
    link.tabIndex = -1;
    var article = document.createElement("article");
    article.className = "md-search-result__article md-typeset";
    if (level === 1) {
      var icon = document.createElement("div");
      icon.className = "md-search-result__icon md-icon";
      article.appendChild(icon);
    }
    var heading = document.createElement(level === 1 ? "h1" : "h2");
    heading.textContent = title;
    article.appendChild(heading);
    article.appendChild(excerpt(html));
    link.appendChild(article);
    return link;
  }

  function show(result) {
    var item = document.createElement("li");
    item.className = "md-search-result__item";
    var title = (result.meta && result.meta.title) || result.url;
    item.appendChild(entry(result.url, title, result.excerpt, 1));
    (result.sub_results || [])
      .filter(function (sub) { return sub.url !== result.url && sub.excerpt !== result.excerpt; })
      .slice(0, MAX_SUB_RESULTS)
      .forEach(function (sub) { item.appendChild(entry(sub.url, sub.title, sub.excerpt, 2)); });
    return item;
  }

  /* Show the next BATCH of results (replacing the list for a new query's first batch);
     `asked` drops a batch that a newer query made stale. */
  function showMore(asked, first) {
    var batch = pending.splice(0, BATCH);
    more.disconnect();
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (results) {
      if (asked !== latest) return;
      var items = results.map(show);
      if (first) list.replaceChildren.apply(list, items);
      else items.forEach(function (item) { list.appendChild(item); });
      if (pending.length) more.observe(list.lastElementChild);
    });
  }

  function search() {
    var query = input.value.trim();
    var asked = ++latest;
    clearTimeout(waiting);
    pending = [];
    more.disconnect();
    if (!query) {
      list.replaceChildren();
      say(words["search.result.placeholder"] || "Type to start searching");
      return;
    }
    waiting = setTimeout(function () {
      pagefind()
        .then(function (module) { return module.search(query); })
        .then(function (found) {
          if (asked !== latest) return null; // a newer query superseded this one
          pending = found.results.slice();
          say(count(found.results.length));
          return showMore(asked, true);
        })
        .catch(unavailable);
    }, PAUSE_MS);
  }

  function open() {
    if (!toggle.checked) {
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change"));
    }
  }

  function close() {
    if (toggle.checked) {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
    }
    input.blur();
  }

  function links() {
    return Array.prototype.slice.call(list.querySelectorAll(".md-search-result__link"));
  }

  function move(step) {
    var all = links();
    if (!all.length) return;
    var at = all.indexOf(document.activeElement);
    var next = at === -1 ? (step > 0 ? 0 : all.length - 1) : at + step;
    if (next < 0 || next >= all.length) input.focus();
    else all[next].focus();
  }

  toggle.addEventListener("change", function () {
    if (toggle.checked) {
      pagefind(); // start loading while the reader types
      if (document.activeElement !== input) input.focus();
    }
  });
  input.addEventListener("focus", function () { open(); pagefind(); });
  input.addEventListener("input", search);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = links()[0];
    if (first) first.click();
  });
  form.addEventListener("reset", function () {
    setTimeout(function () { search(); input.focus(); });
  });
  list.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("a")) close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    if (toggle.checked) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
      else if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
      return;
    }
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
    if (!typing && (event.key === "/" || event.key === "s" || event.key === "f")) {
      event.preventDefault();
      open();
      input.focus();
    }
  });
})();
