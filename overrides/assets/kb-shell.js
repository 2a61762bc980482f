/* Claim permalink pages (publish/claim_pages.py): the palette set-up Material's pages carry inline, as one
   cached file instead of 1.2 KB in each of 100,000 pages. Loaded first thing in <body>, so the stored
   palette applies before anything is drawn; kbPaletteForm fills the header's toggle form, and kb.js, at the
   end, runs the toggle. */
(function () {
  var scope = new URL("..", document.currentScript.src); /* the site root: this file is assets/kb-shell.js */
  window.__md_scope = scope;
  window.__md_get = function (key, storage, base) {
    return JSON.parse((storage || localStorage).getItem((base || scope).pathname + "." + key));
  };
  window.__md_set = function (key, value, storage, base) {
    try {
      (storage || localStorage).setItem((base || scope).pathname + "." + key, JSON.stringify(value));
    } catch (error) {
      /* storage full or blocked: the palette is not remembered */
    }
  };
  /* The form lists the palette as [media, scheme, primary, accent, name] options; each becomes Material's
     radio input and the label that switches to the next option (kb.js shows the checked one's label). */
  window.kbPaletteForm = function () {
    var form = document.currentScript.previousElementSibling;
    var options = JSON.parse(form.getAttribute("data-kb-palette"));
    options.forEach(function (option, index) {
      var input = document.createElement("input");
      input.className = "md-option";
      ["media", "scheme", "primary", "accent"].forEach(function (key, position) {
        input.setAttribute("data-md-color-" + key, option[position]);
      });
      input.setAttribute("aria-label", option[4]);
      input.type = "radio";
      input.name = "__palette";
      input.id = "__palette_" + index;
      var label = document.createElement("label");
      label.className = "md-header__button md-icon";
      label.title = option[4];
      label.htmlFor = "__palette_" + ((index + 1) % options.length);
      label.hidden = true;
      var glyph = document.createElement("span");
      glyph.className = "kb-shell-toggle";
      glyph.setAttribute("aria-hidden", "true");
      glyph.textContent = option[1] === "slate" ? "\u2600" : "\u263e";
      label.appendChild(glyph);
      form.appendChild(input);
      form.appendChild(label);
    });
  };
  var palette = window.__md_get("__palette");
  if (palette && palette.color) {
    Object.keys(palette.color).forEach(function (key) {
      if (key !== "media") {
        document.body.setAttribute("data-md-color-" + key, palette.color[key]);
      }
    });
  }
})();
