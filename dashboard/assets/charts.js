/*
 * twinmetrics chart start-up. Plain ES2017, no dependencies, no inline script:
 * it needs only /assets/vendor/echarts.min.js loaded before it.
 *
 * Contract with the templates: each chart is
 *   <div class="chart" id="ID" data-chart-option="ID-option" role="img" aria-label="…"></div>
 *   <script type="application/json" id="ID-option">{…ECharts option…}</script>
 *
 * What it sets, for browser tests:
 *   el.dataset.chartReady = "1"       after that chart's setOption;
 *   el.dataset.chartError = "…"       when that chart could not be drawn;
 *   <html data-charts-ready="1">      when every chart has been tried and the
 *                                     drawn ones have finished rendering
 *                                     (animation included), or after 5 s;
 *   <html data-chart-errors="N">      how many charts failed, when any did.
 */
(function () {
  'use strict';

  // Okabe–Ito, a palette told apart with the common colour-vision
  // deficiencies. Order: the two sides of a pair get blue and orange; yellow
  // (weak on white) and black (reads as text) come last. The Go side mirrors it.
  var PALETTE = Object.freeze([
    '#0072B2', // blue
    '#E69F00', // orange
    '#009E73', // bluish green
    '#CC79A7', // reddish purple
    '#56B4E9', // sky blue
    '#D55E00', // vermillion
    '#F0E442', // yellow
    '#000000'  // black
  ]);
  window.TWINMETRICS_PALETTE = PALETTE;

  var root = document.documentElement;
  var charts = [];

  function numberFormat() {
    var opts = { maximumFractionDigits: 2 };
    try {
      return new Intl.NumberFormat(root.lang || 'en', opts);
    } catch (e) { // a malformed lang attribute throws RangeError
      return new Intl.NumberFormat('en', opts);
    }
  }
  var nf = numberFormat();

  // formatValue never turns a missing value into 0: null, undefined, '' and
  // ECharts' own '-' stay a dash. Number('') and Number(null) are 0, so
  // strings are checked before they are converted.
  function formatValue(v) {
    if (Array.isArray(v)) return v.map(formatValue).join(', ');
    if (typeof v === 'number') return isFinite(v) ? nf.format(v) : '–';
    if (v == null || v === '' || v === '-') return '–';
    if (typeof v === 'string' && v.trim() !== '' && isFinite(Number(v))) {
      return nf.format(Number(v));
    }
    return String(v);
  }

  function asList(x) {
    if (x == null) return [];
    return Array.isArray(x) ? x : [x];
  }

  // wrapCategories lets long category names (indicator names, longer in
  // Vietnamese) break onto several lines within their slot instead of
  // overlapping until ECharts hides them.
  function wrapCategories(option, el) {
    var width = el.clientWidth || 600;
    asList(option.xAxis).forEach(function (axis) {
      if (!axis || typeof axis !== 'object') return;
      var type = axis.type || 'category';
      if (type !== 'category' || !Array.isArray(axis.data) || axis.data.length === 0) return;
      var longest = axis.data.reduce(function (m, d) { return Math.max(m, String(d).length); }, 0);
      if (longest < 8) return; // years and short codes fit as they are
      axis.axisLabel = axis.axisLabel || {};
      if (axis.axisLabel.width == null) {
        axis.axisLabel.width = Math.max(60, Math.floor(width * 0.8 / axis.data.length) - 8);
        axis.axisLabel.overflow = 'break';
        axis.axisLabel.interval = 0;
      }
    });
  }

  // fitLegend makes room for a legend that wraps instead of paging (type
  // "plain" at the bottom: the long names of the targets' straight
  // paths). It counts the lines the names take at the chart's width and
  // makes the chart and its grid's bottom margin taller by as many lines.
  function fitLegend(option, el) {
    var legend = asList(option.legend)[0];
    if (!legend || legend.type !== 'plain' || legend.bottom == null) return;
    var names = asList(option.series).map(function (s) { return s && s.name; }).filter(Boolean);
    var ctx = document.createElement('canvas').getContext('2d');
    if (names.length === 0 || !ctx) return;
    ctx.font = '12px ' + window.getComputedStyle(el).fontFamily;
    var width = (el.clientWidth || 600) - 10; // the legend's padding
    var lines = 1, x = 0;
    names.forEach(function (n) {
      var w = 25 + 5 + ctx.measureText(String(n)).width + 10; // icon, gap, text, item gap
      if (x > 0 && x + w > width) { lines++; x = 0; }
      x += w;
    });
    if (lines === 1) return;
    var extra = (lines - 1) * 22;
    var grid = asList(option.grid)[0];
    if (grid) grid.bottom = (parseInt(grid.bottom, 10) || 60) + extra;
    el.style.height = (el.clientHeight + extra) + 'px';
  }

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  // swatch is the series' colour in a tooltip. ECharts' own marker is an
  // inline style, which the pages' Content Security Policy refuses: the
  // palette's colours are classes in app.css instead.
  function swatch(colour) {
    var hex = typeof colour === 'string' ? colour.replace('#', '').toLowerCase() : '';
    if (!/^[0-9a-f]{6}$/.test(hex)) hex = 'none';
    return '<span class="swatch swatch-' + hex + '" aria-hidden="true">●</span> ';
  }

  // yearTooltip lists, for the year under the pointer, each series' value
  // and, for a flagged point (drawn hollow), its flags. Series and flag
  // names come from stored data: they are escaped.
  function yearTooltip(params) {
    params = asList(params);
    if (params.length === 0) return '';
    var year = params[0].axisValue;
    var lines = ['<strong>' + escapeHTML(Math.round(Number(year))) + '</strong>'];
    params.forEach(function (p) {
      var v = Array.isArray(p.value) ? p.value[1] : p.value;
      if (v == null || v === '-' || (typeof v === 'number' && !isFinite(v))) return;
      if (Array.isArray(p.value) && Number(p.value[0]) !== Number(year)) return;
      var flags = p.data && p.data.name ? ' <em>(' + escapeHTML(p.data.name) + ')</em>' : '';
      lines.push(swatch(p.color) + escapeHTML(p.seriesName) + ': <strong>' + escapeHTML(formatValue(v)) + '</strong>' + flags);
    });
    return lines.join('<br>');
  }

  function hasYearAxis(option) {
    var x = asList(option.xAxis)[0];
    return !!(x && x.type === 'value' && asList(option.series).some(function (s) { return s && s.type === 'line'; }));
  }

  // localise adds number formatting where the option has none of its own.
  function localise(option) {
    asList(option.tooltip).forEach(function (t) {
      if (t && typeof t === 'object' && t.formatter == null && t.valueFormatter == null) {
        t.valueFormatter = formatValue;
      }
    });
    // On a year axis the tooltip names the year and each point's flags;
    // its numbers go through the same formatValue.
    if (hasYearAxis(option)) {
      asList(option.tooltip).forEach(function (t) {
        if (t && typeof t === 'object' && t.formatter == null) t.formatter = yearTooltip;
      });
      // A year is a year, not a number to group: 2019, not 2,019.
      var x = asList(option.xAxis)[0];
      x.axisLabel = x.axisLabel || {};
      x.axisLabel.formatter = function (v) { return String(Math.round(v)); };
    }
    ['xAxis', 'yAxis'].forEach(function (key) {
      asList(option[key]).forEach(function (axis) {
        if (!axis || typeof axis !== 'object') return;
        // ECharts' defaults: xAxis is a category axis, yAxis a value axis.
        var type = axis.type || (key === 'yAxis' ? 'value' : 'category');
        if (type !== 'value') return;
        axis.axisLabel = axis.axisLabel || {};
        if (axis.axisLabel.formatter == null) {
          axis.axisLabel.formatter = function (v) { return formatValue(v); };
        }
      });
    });
    // Localised labels can be longer than ECharts guesses: keep them inside.
    if (option.xAxis != null || option.yAxis != null) {
      if (option.grid == null) option.grid = {};
      asList(option.grid).forEach(function (g) {
        if (g && typeof g === 'object' && g.containLabel == null) g.containLabel = true;
      });
    }
    if (!option.color) option.color = PALETTE.slice();
    return option;
  }

  // ECharts is loaded when the first chart is drawn, from the address
  // charts.js's own script element names (data-echarts), so that a page
  // whose charts are below the fold does not parse it before it shows.
  var echartsSrc = document.currentScript && document.currentScript.dataset.echarts;
  var echartsWaiting = null;
  function loadECharts(done) {
    if (echartsWaiting) {
      echartsWaiting.push(done);
      return;
    }
    echartsWaiting = [done];
    var finish = function (ok) {
      var ws = echartsWaiting;
      echartsWaiting = ok ? null : [];
      ws.forEach(function (w) { w(ok); });
    };
    if (!echartsSrc) {
      finish(false);
      return;
    }
    var s = document.createElement('script');
    s.src = echartsSrc;
    s.onload = function () { finish(typeof window.echarts !== 'undefined'); };
    s.onerror = function () { finish(false); };
    document.head.appendChild(s);
  }

  // settled is false until the first report of which charts are in view.
  var settled = true;

  function markDone(pending) {
    if (settled && root.dataset.chartsReady !== '1' && pending.size === 0) {
      root.dataset.chartsReady = '1';
    }
  }

  function initAll() {
    var els = Array.prototype.slice.call(
      document.querySelectorAll('.chart[data-chart-option]'));
    var pending = new Set();
    var errors = 0;
    var reduceMotion = window.matchMedia &&
      window.matchMedia('(prefers-reduced-motion: reduce)').matches;

    function fail(el, reason, err) {
      errors++;
      el.dataset.chartError = reason;
      console.error('twinmetrics: chart #' + (el.id || '?') + ': ' + reason, err || '');
    }

    function draw(el) {
      if (typeof window.echarts === 'undefined') {
        pending.add(el); // ready waits for the charts waiting for ECharts
        loadECharts(function (ok) {
          pending.delete(el);
          if (ok) draw(el); else fail(el, 'echarts not loaded');
          markDone(pending);
        });
        return;
      }
      var src = document.getElementById(el.dataset.chartOption);
      if (!src) {
        fail(el, 'no element #' + el.dataset.chartOption);
        return;
      }
      var option;
      try {
        option = JSON.parse(src.textContent);
        // A template that wrote the JSON as a JS string gives a string here.
        if (typeof option === 'string') option = JSON.parse(option);
        if (!option || typeof option !== 'object') throw new TypeError('option is not an object');
      } catch (err) {
        fail(el, 'bad option JSON', err);
        return;
      }
      try {
        localise(option);
        wrapCategories(option, el);
        fitLegend(option, el);
        if (reduceMotion && option.animation == null) option.animation = false;
        if (option.textStyle == null) {
          option.textStyle = { fontFamily: window.getComputedStyle(el).fontFamily };
        }
        var chart = window.echarts.getInstanceByDom(el) ||
          window.echarts.init(el, null, { renderer: 'canvas' });
        pending.add(chart);
        chart.on('finished', function () {
          pending.delete(chart);
          markDone(pending);
        });
        chart.setOption(option);
        charts.push(chart);
        el.dataset.chartReady = '1';
      } catch (err) {
        fail(el, 'setOption failed', err);
      }
      if (errors > 0) root.dataset.chartErrors = String(errors);
    }

    // Charts below the fold are drawn when they come near the viewport, so
    // that a phone spends its first seconds on what it shows. "Ready" means
    // every chart in view has been drawn; the others wait (data-chart-
    // deferred) until they are scrolled to, printed or drawAll is called.
    var waiting = new Set(els);
    function drawNow(el) {
      if (!waiting.delete(el)) return;
      delete el.dataset.chartDeferred;
      draw(el);
    }
    function drawAll() {
      if (waiting.size === 0) return;
      delete root.dataset.chartsReady;
      Array.from(waiting).forEach(drawNow);
      markDone(pending);
    }
    window.twinmetricsDrawCharts = drawAll;
    window.addEventListener('beforeprint', drawAll);
    if ('IntersectionObserver' in window && els.length > 1) {
      var seen = new Set();
      settled = false;
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) {
          seen.add(e.target);
          if (e.isIntersecting) {
            io.unobserve(e.target);
            drawNow(e.target);
          } else if (waiting.has(e.target)) {
            e.target.dataset.chartDeferred = '1';
          }
        });
        // The first report covers every chart: then those in view are drawn.
        if (seen.size === els.length) {
          settled = true;
          markDone(pending);
        }
      }, { rootMargin: '200px 0px' });
      els.forEach(function (el) { io.observe(el); });
    } else {
      els.forEach(drawNow);
      markDone(pending);
    }
    // 'finished' needs animation frames, which a hidden tab may never get.
    window.setTimeout(function () { settled = true; pending.clear(); markDone(pending); }, 5000);
  }

  function resizeAll() {
    charts.forEach(function (c) {
      if (!c.isDisposed()) c.resize();
    });
  }

  var timer = 0;
  window.addEventListener('resize', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(resizeAll, 150);
  });
  // Print layout has another width: redraw for it and back.
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  if (window.matchMedia) {
    var printMedia = window.matchMedia('print');
    if (printMedia.addEventListener) printMedia.addEventListener('change', resizeAll);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
})();
