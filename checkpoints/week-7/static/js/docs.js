// /api/docs/: load Swagger UI (its stylesheet and scripts, all from this site) only when the
// reader asks for it, then hide the server's own list of operations, which it repeats.
"use strict";

(function () {
  const button = document.getElementById("swagger-load");
  const status = document.getElementById("swagger-status");
  if (!button) return;

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.addEventListener("load", resolve);
      el.addEventListener("error", function () { reject(new Error(attrs.src || attrs.href)); });
      document.head.append(el);
    });
  }

  button.addEventListener("click", async function () {
    button.disabled = true;
    status.hidden = false;
    status.textContent = "Loading Swagger UI…";
    try {
      await load("link", { rel: "stylesheet", href: button.dataset.css });
      // In order: the start-up script needs the bundle and its preset.
      for (const src of [button.dataset.bundle, button.dataset.preset, button.dataset.script]) {
        await load("script", { src: src });
      }
      status.textContent = "";
      status.hidden = true;
      button.closest("section").hidden = true;
      document.getElementById("api-operations").hidden = true;
    } catch (error) {
      status.textContent = "Swagger UI could not be loaded (" + error.message + "). Reload to try again.";
      button.disabled = false;
    }
  });
})();
