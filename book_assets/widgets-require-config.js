// Loaded between require.js and embed-amd.js on pages with Jupyter widgets (see nb_ipywidgets_js in
// _config.yml). embed-amd.js finds its Font Awesome fonts (widget icons) relative to the require.js name of
// its module, which by default resolves under the page's own folder, where there is nothing. Mapping that
// name to the book's copy of the bundle makes the fonts load from beside embed-amd.js.
(function () {
  "use strict";
  var bundle = new URL("../vendor/html-manager", document.currentScript.src).href;
  // Both module names under which the bundle asks for its fonts map to the book's copy.
  window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": bundle, "@jupyter-widgets": bundle } });
  // The widget library typesets labels with MathJax 2's Hub.Queue; the book loads MathJax 3. A small
  // adapter hands those requests to MathJax 3 instead of throwing.
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (mathjax && !mathjax.Hub) {
      mathjax.Hub = { Queue: function (command) { if (mathjax.typesetPromise) mathjax.typesetPromise([command[2]]); } };
    }
  });
})();
