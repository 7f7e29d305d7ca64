/* The static explorer: the book's hidden_units explorer without a kernel.
 *
 * Every configuration the controls can reach was trained ahead of time with the book's own engine
 * (scripts/build_explorer_grid.py -> explorer_grid.js, which sets window.IRIS_EXPLORER_GRID). A change of a
 * control only looks a run up and redraws the charts with Plotly.react, so the page answers at once.
 * The state lives in the URL hash (#layers=2&units=10&optimizer=Adam&lr=0.1&seed=1), as in TensorFlow
 * Playground: a link opens that configuration. The colours and layout follow iris_lib/plots.py and the live
 * explorer (iris_lib/widgets.py). The data and Plotly are loaded from beside this file (_static/ and
 * ../vendor/), by script tags, so the page also works when opened from disk (file://) and never asks the
 * network for anything.
 */
(function () {
  "use strict";

  var TRAIN_COLOR = "#ff7043", EVAL_COLOR = "#0077bb";  // plots.TENSORBOARD_COLORS[0], [1]
  var SPECIES_COLORS = ["#1b9e77", "#d95f02", "#7570b3"];  // plots.SPECIES_COLORS
  var INK = "#263238";
  // matplotlib's "Blues" (plots.plot_confusion_matrix); Plotly's own "Blues" runs from dark blue to grey.
  var BLUES = [[0, "#f7fbff"], [0.125, "#deebf7"], [0.25, "#c6dbef"], [0.375, "#9ecae1"], [0.5, "#6baed6"],
               [0.625, "#4292c6"], [0.75, "#2171b5"], [0.875, "#08519c"], [1, "#08306b"]];
  var REGION_ALPHA = 0.28;  // plots.plot_decision_regions
  var DEFAULTS = {layers: "2", units: "10", optimizer: "Adagrad", lr: "0.1", seed: "1"};
  var FONT = {family: "DejaVu Sans, Arial, sans-serif", size: 12, color: INK};

  var here = (document.currentScript && document.currentScript.src) || "";
  var base = here.slice(0, here.lastIndexOf("/") + 1);  // .../_static/

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(tag);
    });
  }

  function ready() {
    var jobs = [];
    if (!window.IRIS_EXPLORER_GRID) jobs.push(loadScript(base + "explorer_grid.js"));
    if (!window.Plotly) jobs.push(loadScript(base + "../vendor/plotly/plotly-cartesian.min.js"));
    return Promise.all(jobs);
  }

  function key(state) {
    return [state.layers, state.units, state.optimizer, state.lr, state.seed].join("-");
  }

  function fmt(x, digits) { return Number(x).toFixed(digits); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function blend(hex, alpha) {  // a colour drawn with `alpha` on white, as matplotlib shows it
    var rgb = [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
    return "rgb(" + rgb.map(function (c) { return Math.round(alpha * c + (1 - alpha) * 255); }).join(",") + ")";
  }

  function Explorer(container, grid) {
    this.container = container;
    this.grid = grid;
    this.controls = {};
    this.build();
  }

  Explorer.prototype.build = function () {
    var grid = this.grid, self = this;
    var specs = [
      ["layers", "hidden layers", "range", grid.layers],
      ["units", "units per layer", "select", grid.units],
      ["optimizer", "optimizer", "select", grid.optimizers],
      ["lr", "learning rate", "select", grid.learning_rates],
      ["seed", "seed", "range", grid.seeds],
    ];
    var form = el("div", {"class": "iris-se-controls"});
    specs.forEach(function (spec) {
      var name = spec[0], values = spec[3].map(String), input;
      if (spec[2] === "range") {
        input = el("input", {type: "range", min: values[0], max: values[values.length - 1], step: "1",
                             name: name, "data-control": name});
      } else {
        input = el("select", {name: name, "data-control": name},
                   values.map(function (v) { return el("option", {value: v}, [v]); }));
      }
      var shown = el("output", {"class": "iris-se-value", "for": name});
      // "input" fires on every move of a slider and every choice in a select ("change" would repeat it).
      input.addEventListener("input", function () { self.update(true); });
      self.controls[name] = {input: input, shown: shown, values: values};
      form.appendChild(el("label", {"class": "iris-se-control"}, [
        el("span", {"class": "iris-se-name"}, [spec[1]]), input, shown]));
    });
    this.architecture = el("div", {"class": "iris-se-architecture"});
    this.result = el("div", {"class": "iris-se-result", "aria-live": "polite"});
    this.curves = el("div", {"class": "iris-se-curves"});
    this.regionsTitle = el("div", {"class": "iris-se-title", style: "flex:0 0 60%"});
    this.matrixTitle = el("div", {"class": "iris-se-title", style: "flex:1 1 auto;padding-left:12%"});
    var regionsHead = el("div", {"class": "iris-se-titles"}, [this.regionsTitle, this.matrixTitle]);
    this.regions = el("div", {"class": "iris-se-regions"});
    this.predictions = el("div", {"class": "iris-se-predictions"});
    this.container.textContent = "";
    [form, this.architecture,
     el("div", {"class": "iris-se-heading"}, ["Loss and accuracy (orange: training, blue: evaluation on the test set)"]),
     this.curves, this.result, this.predictions, regionsHead, this.regions].forEach(function (node) {
      self.container.appendChild(node);
    });
    window.addEventListener("hashchange", function () { self.fromHash(); });
    this.fromHash();
  };

  Explorer.prototype.state = function () {
    var state = {};
    Object.keys(this.controls).forEach(function (name) { state[name] = this.controls[name].input.value; }, this);
    return state;
  };

  Explorer.prototype.fromHash = function () {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    Object.keys(this.controls).forEach(function (name) {
      var control = this.controls[name], wanted = params.get(name);
      if (wanted !== null && !isNaN(Number(wanted)) && name !== "optimizer") wanted = String(Number(wanted));
      control.input.value = control.values.indexOf(wanted) >= 0 ? wanted : DEFAULTS[name];
    }, this);
    this.update(true);  // a partial or invalid link is rewritten to the configuration shown
  };

  Explorer.prototype.update = function (writeHash) {
    var started = performance.now();
    var state = this.state(), grid = this.grid, run = grid.runs[key(state)];
    Object.keys(this.controls).forEach(function (name) {
      this.controls[name].shown.textContent = this.controls[name].input.value;
    }, this);
    if (writeHash) {
      var hash = "#" + new URLSearchParams(state).toString();
      if (window.location.hash !== hash) history.replaceState(null, "", hash);
    }
    var units = [];
    for (var i = 0; i < Number(state.layers); i++) units.push(Number(state.units));
    var sizes = [4].concat(units, [3]), weights = 0;
    for (var j = 1; j < sizes.length; j++) weights += (sizes[j - 1] + 1) * sizes[j];
    this.architecture.textContent = "hidden_units=[" + units.join(", ") + "]: " + sizes.join(" → ") + ", " +
      weights.toLocaleString("en") + " weights";
    this.showResult(state, run);
    this.drawCurves(run);
    this.drawRegions(state, run);
    this.showPredictions(run);
    this.container.setAttribute("data-key", key(state));
    this.container.setAttribute("data-update-ms", fmt(performance.now() - started, 1));
  };

  Explorer.prototype.showResult = function (state, run) {
    var grid = this.grid, n = grid.n_test;
    var seeds = grid.seeds.map(function (seed) {
      var other = grid.runs[key(Object.assign({}, state, {seed: String(seed)}))];
      return {seed: seed, accuracy: other.ea};
    });
    var accuracies = seeds.map(function (s) { return s.accuracy; });
    var low = Math.min.apply(null, accuracies), high = Math.max.apply(null, accuracies);
    this.result.setAttribute("data-accuracy", String(run.ea));
    this.result.setAttribute("data-loss", String(run.el));
    this.result.innerHTML = "";
    this.result.appendChild(el("div", {}, [
      el("b", {"class": "iris-se-accuracy"}, ["test accuracy " + fmt(run.ea, 3)]),
      " (" + Math.round(run.ea * n) + " of " + n + "), test loss " + fmt(run.el, 3) +
      ", final training loss " + fmt(run.l[run.l.length - 1], 3) + " (seed " + state.seed + ")"]));
    this.result.appendChild(el("div", {"class": "iris-se-spread"}, [
      "Over the " + seeds.length + " seeds: " + seeds.map(function (s) {
        return "seed " + s.seed + " " + fmt(s.accuracy, 3);
      }).join(", ") + " (spread " + fmt(high - low, 3) + "; one test flower is " + fmt(1 / n, 3) + ")"]));
  };

  Explorer.prototype.drawCurves = function (run) {
    var steps = this.grid.steps, traces = [];
    [["loss", run.l, run.el, "x", "y"], ["accuracy", run.a, run.ea, "x2", "y2"]].forEach(function (t, i) {
      traces.push({x: run.s, y: t[1], mode: "lines", name: "train", legendgroup: "train", showlegend: i === 0,
                   line: {color: TRAIN_COLOR, width: 2.2}, xaxis: t[3], yaxis: t[4],
                   hovertemplate: "step %{x}<br>" + t[0] + " %{y:.4f}<extra>train</extra>"});
      traces.push({x: [steps], y: [t[2]], mode: "markers", name: "eval", legendgroup: "eval", showlegend: i === 0,
                   marker: {color: EVAL_COLOR, size: 10}, xaxis: t[3], yaxis: t[4],
                   hovertemplate: "step %{x}<br>" + t[0] + " %{y:.4f}<extra>eval</extra>"});
    });
    var axis = {title: {text: "global step"}, range: [-30, steps + 40], gridcolor: "#e0e0e0", zeroline: false};
    var layout = {
      height: 340, margin: {l: 50, r: 10, t: 34, b: 80}, font: FONT, plot_bgcolor: "white",
      grid: {rows: 1, columns: 2, pattern: "independent"},
      xaxis: axis, xaxis2: Object.assign({}, axis),
      yaxis: {gridcolor: "#e0e0e0", zeroline: false, rangemode: "tozero"},
      yaxis2: {gridcolor: "#e0e0e0", zeroline: false, range: [0, 1.02]},
      legend: {orientation: "h", x: 0.5, xanchor: "center", y: -0.25},
      annotations: [["loss", 0.22], ["accuracy", 0.78]].map(function (a) {
        return {text: "<b>" + a[0] + "</b>", x: a[1], xref: "paper", y: 1.08, yref: "paper", showarrow: false};
      }),
    };
    window.Plotly.react(this.curves, traces, layout, {displaylogo: false, responsive: true,
                                                       modeBarButtonsToRemove: ["lasso2d", "select2d"]});
  };

  Explorer.prototype.drawRegions = function (state, run) {
    var grid = this.grid, r = grid.regions, size = r.size, species = grid.species, z = [];
    for (var row = 0; row < size; row++) {
      z.push(run.r.slice(row * size, (row + 1) * size).split("").map(Number));
    }
    var scale = [];
    SPECIES_COLORS.forEach(function (color, k) {
      var c = blend(color, REGION_ALPHA);
      scale.push([k / 3, c], [(k + 1) / 3, c]);
    });
    var traces = [{type: "heatmap", x: r.x, y: r.y, z: z, zmin: -0.5, zmax: 2.5, colorscale: scale,
                   showscale: false, hoverinfo: "skip", xaxis: "x", yaxis: "y"}];
    var points = grid.train_points;
    species.forEach(function (name, k) {
      var xs = [], ys = [];
      points.species.forEach(function (s, i) { if (s === k) { xs.push(points.x[i]); ys.push(points.y[i]); } });
      traces.push({type: "scatter", mode: "markers", x: xs, y: ys, name: name, xaxis: "x", yaxis: "y",
                   marker: {color: SPECIES_COLORS[k], size: 7, line: {color: INK, width: 0.5}},
                   hovertemplate: name + "<br>petal %{x} × %{y} cm<extra></extra>"});
    });
    // Confusion matrix of the test set: rows true species, columns predicted (plots.plot_confusion_matrix).
    var matrix = species.map(function () { return species.map(function () { return 0; }); });
    for (var i = 0; i < run.t.length; i++) matrix[Number(grid.test_species[i])][Number(run.t[i])] += 1;
    var most = Math.max.apply(null, matrix.map(function (m) { return Math.max.apply(null, m); }));
    // Counts as the heatmap's own text (Plotly picks a readable colour per cell): much cheaper than annotations.
    traces.push({type: "heatmap", z: matrix, x: species, y: species, colorscale: BLUES,
                 zmin: 0, zmax: Math.max(1, most), showscale: false, xaxis: "x2", yaxis: "y2",
                 texttemplate: "%{z}", textfont: {size: 14},
                 hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>"});
    var correct = matrix.reduce(function (sum, m, k) { return sum + m[k]; }, 0);
    // The panel titles are HTML above the chart (changing them does not make Plotly lay the chart out again).
    this.regionsTitle.textContent = "Decision regions, hidden_units=[" +
      Array(Number(state.layers)).fill(state.units).join(", ") + "]";
    this.matrixTitle.innerHTML = "";
    this.matrixTitle.appendChild(el("span", {}, ["Confusion matrix"]));
    this.matrixTitle.appendChild(el("br"));
    this.matrixTitle.appendChild(el("span", {}, [
      "accuracy " + fmt(100 * correct / run.t.length, 1) + "% on " + run.t.length + " examples"]));
    var annotations = [
      {text: Object.keys(r.held).join(", ") + " held at the training mean", x: 0.56, xref: "paper",
       xanchor: "right", y: 0.01, yref: "paper", yanchor: "bottom", showarrow: false,
       font: {size: 10, color: "#546e7a"}}];
    var layout = {
      height: 380, margin: {l: 56, r: 10, t: 8, b: 50}, font: FONT, plot_bgcolor: "white",
      xaxis: {domain: [0, 0.56], title: {text: r.x_feature + " (cm)"}, range: [r.x[0], r.x[size - 1]],
              zeroline: false, showgrid: false},
      yaxis: {title: {text: r.y_feature + " (cm)"}, range: [r.y[0], r.y[size - 1]], zeroline: false, showgrid: false},
      xaxis2: {domain: [0.74, 1], title: {text: "predicted species"}, type: "category", showgrid: false},
      yaxis2: {anchor: "x2", title: {text: "true species"}, type: "category", autorange: "reversed",
               showgrid: false},
      legend: {title: {text: "species"}, x: 0.01, y: 0.99, bgcolor: "rgba(255,255,255,0.85)"},
      annotations: annotations,
    };
    window.Plotly.react(this.regions, traces, layout, {displaylogo: false, responsive: true});
  };

  Explorer.prototype.showPredictions = function (run) {
    var grid = this.grid, rows = [];
    run.p.forEach(function (probs, i) {
      var best = probs.indexOf(Math.max.apply(null, probs));
      rows.push(el("tr", {}, [
        el("td", {}, [grid.examples[i].join(", ")]), el("td", {}, [grid.expected[i]]),
        el("td", {"class": "iris-se-predicted"}, [grid.species[best]]),
        el("td", {"class": "iris-se-probability"}, [fmt(100 * probs[best], 1) + "%"]),
      ]));
    });
    var head = el("tr", {}, ["example", "expected", "predicted", "probability"].map(function (h) {
      return el("th", {}, [h]);
    }));
    this.predictions.innerHTML = "";
    this.predictions.appendChild(el("b", {}, ["The guide's three examples"]));
    this.predictions.appendChild(el("table", {"class": "iris-table"}, [el("thead", {}, [head]),
                                                                      el("tbody", {}, rows)]));
  };

  var CSS = [
    ".iris-static-explorer{border:1px solid #cfd8dc;border-radius:6px;padding:12px;margin:1em 0;color:" + INK + "}",
    ".iris-se-controls{display:flex;flex-wrap:wrap;gap:6px 22px}",
    ".iris-se-control{display:flex;align-items:center;gap:8px;font-size:0.9em}",
    ".iris-se-name{min-width:7.5em;font-weight:bold}",
    ".iris-se-value{min-width:3.5em;font-family:monospace}",
    ".iris-se-architecture{color:#37474f;margin:6px 0;font-size:0.9em}",
    ".iris-se-heading{font-weight:bold;margin-top:8px}",
    ".iris-se-titles{display:flex;font-weight:bold;text-align:center;margin-top:8px;font-size:0.95em}",
    ".iris-se-result{margin:6px 0}.iris-se-spread{color:#546e7a;font-size:0.9em}",
    ".iris-se-predictions table{margin:4px 0 8px;font-size:0.9em}",
    ".iris-se-predictions td,.iris-se-predictions th{padding:2px 10px}",
  ].join("\n");

  function start() {
    var containers = document.querySelectorAll(".iris-static-explorer");
    if (!containers.length) return;
    document.head.appendChild(el("style", {}, [CSS]));
    ready().then(function () {
      containers.forEach(function (container) {
        container.explorer = new Explorer(container, window.IRIS_EXPLORER_GRID);
      });
    }).catch(function (error) {
      containers.forEach(function (container) {
        container.textContent = "The static explorer could not start: " + error.message;
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
