// Loaded between require.js and embed-amd.js on pages with Jupyter widgets (see nb_ipywidgets_js in
// _config.yml). embed-amd.js finds its Font Awesome fonts (widget icons) relative to the require.js name of
// its module, which by default resolves under the page's own folder, where there is nothing. Mapping that
// name to the book's copy of the bundle makes the fonts load from beside embed-amd.js.
(function () {
  "use strict";
  var bundle = new URL("../vendor/html-manager", document.currentScript.src).href;
  window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": bundle } });
})();
