/*
 * The claim explorer's filter, off the page's main thread (started by kb.js).
 *
 * It fetches claims/data/facets.json and every claims/data/shard-NNN.json once,
 * then answers each query with the matching claims (a page of them), how many
 * match, and the facet counts under the current filters: the count of a value
 * is how many claims would match if that value were added to its own facet's
 * choice (the other facets and the words applying as they are). Choosing a
 * category includes its subcategories; a claim counts once per category.
 */
"use strict";

var index = null; /* facets.json */
var claims = []; /* {id, paper, codes, cats (closure), text} */
var ready = false;
var pending = null;
var keys = [];
var closures = {}; /* category index -> [itself and every ancestor] */

function closure(cat) {
  if (closures[cat]) {
    return closures[cat];
  }
  var seen = {};
  var stack = [cat];
  while (stack.length) {
    var current = stack.pop();
    if (seen[current]) {
      continue;
    }
    seen[current] = true;
    var parents = index.categories[current][2];
    for (var i = 0; i < parents.length; i++) {
      stack.push(parents[i]);
    }
  }
  closures[cat] = Object.keys(seen).map(Number);
  return closures[cat];
}

function catsOf(direct) {
  var seen = {};
  for (var i = 0; i < direct.length; i++) {
    var up = closure(direct[i]);
    for (var j = 0; j < up.length; j++) {
      seen[up[j]] = true;
    }
  }
  return Object.keys(seen).map(Number);
}

function fetchJson(url) {
  return fetch(url).then(function (response) {
    if (!response.ok) {
      throw new Error(url + ": HTTP " + response.status);
    }
    return response.json();
  });
}

function load(base) {
  fetchJson(base + "facets.json")
    .then(function (data) {
      index = data;
      keys = Object.keys(index.facets);
      var loaded = 0;
      var shards = index.shards.map(function () {
        return null;
      });
      var next = 0;
      function one() {
        if (next >= index.shards.length) {
          return Promise.resolve();
        }
        var n = next++;
        return fetchJson(base + index.shards[n]).then(function (shard) {
          shards[n] = shard.claims;
          loaded += 1;
          postMessage({ type: "progress", loaded: loaded, total: index.shards.length });
          return one();
        });
      }
      return Promise.all([one(), one(), one()]).then(function () {
        shards.forEach(function (rows) {
          rows.forEach(function (row) {
            var paper = index.papers[row[1]];
            claims.push({
              id: row[0],
              paper: row[1],
              codes: row[2],
              cats: catsOf(row[3]),
              text: (row[4] + " " + row[0] + " " + paper[0] + " " + paper[1]).toLowerCase(),
              claim: row[4],
            });
          });
        });
        ready = true;
        postMessage({ type: "ready", total: claims.length });
        if (pending) {
          answer(pending);
          pending = null;
        }
      });
    })
    .catch(function (error) {
      postMessage({ type: "error", message: String(error && error.message ? error.message : error) });
    });
}

/* The wanted values of each facet as lookup tables; categories expanded to their subtrees. */
function compile(state) {
  var wanted = {};
  keys.forEach(function (key, k) {
    var values = state.facets[key] || [];
    if (!values.length) {
      return;
    }
    var table = {};
    values.forEach(function (value) {
      var code = index.facets[key].indexOf(value);
      if (code !== -1) {
        table[code] = true;
      }
    });
    wanted[k] = table;
  });
  var cats = null;
  if ((state.facets.category || []).length) {
    cats = {};
    state.facets.category.forEach(function (slug) {
      for (var c = 0; c < index.categories.length; c++) {
        if (index.categories[c][0] === slug) {
          cats[c] = true; /* a claim's categories already include every ancestor */
        }
      }
    });
  }
  var papers = null;
  if ((state.facets.paper || []).length) {
    papers = {};
    state.facets.paper.forEach(function (pid) {
      for (var p = 0; p < index.papers.length; p++) {
        if (index.papers[p][0] === pid) {
          papers[p] = true;
        }
      }
    });
  }
  var words = (state.words || "").toLowerCase().split(/\s+/).filter(Boolean);
  return { wanted: wanted, cats: cats, papers: papers, words: words };
}

/* The claims whose text holds every word. Typing only lengthens words, so when each earlier word
   lies inside one of the new ones, only the earlier matches need looking at again. */
var lastWords = [];
var lastMatches = null;

function wordMatches(words) {
  var narrower = lastMatches !== null && lastWords.every(function (old) {
    return words.some(function (word) {
      return word.indexOf(old) !== -1;
    });
  });
  var pool = narrower ? lastMatches : null;
  var found = [];
  var total = pool ? pool.length : claims.length;
  for (var n = 0; n < total; n++) {
    var i = pool ? pool[n] : n;
    var text = claims[i].text;
    var ok = true;
    for (var w = 0; w < words.length; w++) {
      if (text.indexOf(words[w]) === -1) {
        ok = false;
        break;
      }
    }
    if (ok) {
      found.push(i);
    }
  }
  lastWords = words;
  lastMatches = found;
  return found;
}

function answer(message) {
  var q = compile(message.state);
  var vocabCount = keys.length;
  /* facet slots: 0..vocabCount-1 vocabularies, vocabCount = category, vocabCount+1 = paper */
  var counts = keys.map(function (key) {
    return index.facets[key].map(function () {
      return 0;
    });
  });
  var catCounts = index.categories.map(function () {
    return 0;
  });
  var paperCounts = {};
  var matched = [];
  var candidates = wordMatches(q.words);
  for (var n = 0; n < candidates.length; n++) {
    var claim = claims[candidates[n]];
    var i = candidates[n];
    var failed = -1; /* the one facet this claim fails, or -2 for more than one */
    for (var k = 0; k < vocabCount; k++) {
      if (q.wanted[k] && !q.wanted[k][claim.codes[k]]) {
        failed = failed === -1 ? k : -2;
        if (failed === -2) {
          break;
        }
      }
    }
    if (failed !== -2 && q.cats) {
      var inCat = false;
      for (var c = 0; c < claim.cats.length; c++) {
        if (q.cats[claim.cats[c]]) {
          inCat = true;
          break;
        }
      }
      if (!inCat) {
        failed = failed === -1 ? vocabCount : -2;
      }
    }
    if (failed !== -2 && q.papers && !q.papers[claim.paper]) {
      failed = failed === -1 ? vocabCount + 1 : -2;
    }
    if (failed === -2) {
      continue;
    }
    for (var f = 0; f < vocabCount; f++) {
      if (failed === -1 || failed === f) {
        counts[f][claim.codes[f]] += 1;
      }
    }
    if (failed === -1 || failed === vocabCount) {
      for (var cc = 0; cc < claim.cats.length; cc++) {
        catCounts[claim.cats[cc]] += 1;
      }
    }
    if (failed === -1 || failed === vocabCount + 1) {
      paperCounts[claim.paper] = (paperCounts[claim.paper] || 0) + 1;
    }
    if (failed === -1) {
      matched.push(i);
    }
  }
  var offset = message.offset || 0;
  var rows = matched.slice(offset, offset + (message.limit || 100)).map(function (n) {
    var claim = claims[n];
    var paper = index.papers[claim.paper];
    return {
      id: claim.id,
      claim: claim.claim,
      paper: paper[0],
      paperTitle: paper[1],
      paperUrl: paper[2],
      values: keys.map(function (key, k) {
        return index.facets[key][claim.codes[k]];
      }),
    };
  });
  var facetCounts = {};
  keys.forEach(function (key, k) {
    facetCounts[key] = {};
    index.facets[key].forEach(function (value, code) {
      facetCounts[key][value] = counts[k][code];
    });
  });
  facetCounts.category = {};
  index.categories.forEach(function (category, c) {
    facetCounts.category[category[0]] = catCounts[c];
  });
  var topPapers = Object.keys(paperCounts)
    .map(Number)
    .sort(function (a, b) {
      return paperCounts[b] - paperCounts[a] || a - b;
    })
    .slice(0, message.papers || 30)
    .map(function (p) {
      return [index.papers[p][0], index.papers[p][1], paperCounts[p]];
    });
  (message.state.facets.paper || []).forEach(function (pid) {
    for (var p = 0; p < index.papers.length; p++) {
      if (index.papers[p][0] === pid && !topPapers.some(function (t) { return t[0] === pid; })) {
        topPapers.push([pid, index.papers[p][1], paperCounts[p] || 0]);
      }
    }
  });
  postMessage({
    type: "result",
    id: message.id,
    total: claims.length,
    matched: matched.length,
    offset: offset,
    rows: rows,
    keys: keys,
    counts: facetCounts,
    papers: topPapers,
  });
}

onmessage = function (event) {
  var message = event.data;
  if (message.type === "load") {
    load(message.base);
  } else if (message.type === "query") {
    if (ready) {
      answer(message);
    } else {
      pending = message;
    }
  }
};
