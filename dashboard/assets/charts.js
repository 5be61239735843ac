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
 *
 * A chart may carry data-chart-credit="…" (plain text, lines split by
 * newlines): the footer of its slide image, which the buttons
 *   <button data-chart-image="png|svg" aria-controls="ID">
 * download (see "Slide images" below).
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

  // The number format is made when a chart first formats a value: the
  // first Intl.NumberFormat loads the locale's data, 30–70 ms of the main
  // thread that a page whose charts are below the fold need not spend as
  // it loads.
  var nf = null;
  function numberFormat() {
    if (nf) return nf;
    var opts = { maximumFractionDigits: 2 };
    try {
      nf = new Intl.NumberFormat(root.lang || 'en', opts);
    } catch (e) { // a malformed lang attribute throws RangeError
      nf = new Intl.NumberFormat('en', opts);
    }
    return nf;
  }

  // formatValue never turns a missing value into 0: null, undefined, '' and
  // ECharts' own '-' stay a dash. Number('') and Number(null) are 0, so
  // strings are checked before they are converted.
  function formatValue(v) {
    if (Array.isArray(v)) return v.map(formatValue).join(', ');
    if (typeof v === 'number') return isFinite(v) ? numberFormat().format(v) : '–';
    if (v == null || v === '' || v === '-') return '–';
    if (typeof v === 'string' && v.trim() !== '' && isFinite(Number(v))) {
      return numberFormat().format(Number(v));
    }
    return String(v);
  }

  function asList(x) {
    if (x == null) return [];
    return Array.isArray(x) ? x : [x];
  }

  // Text is measured on a canvas of its own, in the font it is drawn in.
  var measureCtx = null;
  function textWidth(text, font) {
    if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
    measureCtx.font = font;
    return measureCtx.measureText(text).width;
  }

  // wrapText breaks text into lines no wider than width: at spaces, and a
  // word wider than a line (an address) at any character. Its own line
  // breaks are kept.
  function wrapText(text, font, width) {
    var out = [];
    String(text).split('\n').forEach(function (para) {
      var line = '';
      para.split(' ').forEach(function (word) {
        var next = line ? line + ' ' + word : word;
        if (textWidth(next, font) <= width) {
          line = next;
          return;
        }
        if (line) out.push(line);
        line = word;
        while (line.length > 1 && textWidth(line, font) > width) {
          var n = line.length - 1;
          while (n > 1 && textWidth(line.slice(0, n), font) > width) n--;
          out.push(line.slice(0, n));
          line = line.slice(n);
        }
      });
      out.push(line);
    });
    return out;
  }

  // Line heights are set, not left to ECharts, which measures them from
  // a CJK glyph: where no font has one, lines of Vietnamese overlapped.
  function lineHeight(size) { return Math.round(size * 1.4); }

  // wrapCategories lets long category names (indicator names, longer in
  // Vietnamese) break onto several lines within their slot, each line
  // spaced for Vietnamese diacritics, so that no two labels overlap.
  function wrapCategories(option, width) {
    asList(option.xAxis).forEach(function (axis) {
      if (!axis || typeof axis !== 'object') return;
      var type = axis.type || 'category';
      if (type !== 'category' || !Array.isArray(axis.data) || axis.data.length === 0) return;
      var longest = axis.data.reduce(function (m, d) { return Math.max(m, String(d).length); }, 0);
      if (longest < 8) return; // years and short codes fit as they are
      axis.axisLabel = axis.axisLabel || {};
      if (axis.axisLabel.width == null) {
        // The plot is the width less the value axis' labels and margins.
        var slot = (width - 100) / axis.data.length;
        axis.axisLabel.width = Math.max(36, Math.floor(slot) - 10);
        axis.axisLabel.overflow = 'break';
        axis.axisLabel.interval = 0;
        axis.axisLabel.lineHeight = lineHeight(12);
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

  // fitTitle wraps the title and its subtitle to the chart's width and
  // returns how far down they reach, so that nothing is drawn under them.
  function fitTitle(option, width, family) {
    var t = asList(option.title)[0];
    if (!t || typeof t !== 'object') return 0;
    var avail = Math.max(80, width - 20);
    var reach = 5; // ECharts' padding
    if (t.text) {
      var size = (t.textStyle && t.textStyle.fontSize) || 18;
      var lines = wrapText(t.text, 'bold ' + size + 'px ' + family, avail);
      t.text = lines.join('\n');
      t.textStyle = Object.assign({}, t.textStyle, { lineHeight: lineHeight(size) });
      reach += lines.length * lineHeight(size);
    }
    if (t.subtext) {
      var sub = (t.subtextStyle && t.subtextStyle.fontSize) || 12;
      var subLines = wrapText(t.subtext, sub + 'px ' + family, avail);
      t.subtext = subLines.join('\n');
      t.subtextStyle = Object.assign({}, t.subtextStyle, { lineHeight: lineHeight(sub) });
      reach += (t.itemGap != null ? t.itemGap : 10) + subLines.length * lineHeight(sub);
    }
    return reach;
  }

  // rankRows is the number of categories on a vertical category axis
  // (horizontal bars), 0 if there is none.
  function rankRows(option) {
    return asList(option.yAxis).reduce(function (n, a) {
      return a && a.type === 'category' && Array.isArray(a.data) ? Math.max(n, a.data.length) : n;
    }, 0);
  }

  // RANK_ROW is the height a ranking gives each of its bars and labels.
  var RANK_ROW = 22;

  // layout fits a chart into width × height, of which the bottom
  // `bottom` pixels are the legend's (and, in a slide image, the
  // credit's): the title wrapped, the plot below it, the categories
  // wrapped, the radar's names wrapped beside it.
  function layout(option, width, height, bottom, family) {
    var reach = fitTitle(option, width, family);
    wrapCategories(option, width);
    // A vertical axis' name stands above the plot, under the title.
    var named = asList(option.yAxis).some(function (a) { return a && a.name; });
    var top = reach + (named ? 40 : 12);
    asList(option.grid).forEach(function (g) {
      if (!g || typeof g !== 'object') return;
      var cur = parseFloat(g.top);
      if (!(cur >= top)) g.top = top;
    });
    // Horizontal bars (a ranking): the value axis is named under its
    // middle, not past its end where a narrow chart cuts the name.
    if (rankRows(option) > 0) {
      asList(option.xAxis).forEach(function (a) {
        if (a && typeof a === 'object' && a.name) {
          a.nameLocation = 'middle';
          a.nameGap = 28;
        }
      });
      asList(option.grid).forEach(function (g) {
        if (g && typeof g === 'object') g.bottom = Math.max(parseFloat(g.bottom) || 0, 48);
      });
      asList(option.yAxis).forEach(function (a) {
        if (a && a.type === 'category') a.axisLabel = Object.assign({}, a.axisLabel, { lineHeight: lineHeight(12) });
      });
    }
    asList(option.radar).forEach(function (r) {
      if (!r || typeof r !== 'object') return;
      var nameSize = 11;
      var nameLine = lineHeight(nameSize);
      var names = asList(r.indicator).map(function (ind) { return ind && ind.name ? String(ind.name) : ''; });
      // ECharts does not wrap a radar's names: each is broken into lines
      // that fit beside the polygon, and the polygon leaves room above
      // and below it for the most lines a name takes.
      var lines = 2, radius = 0, wrapped = names;
      for (var pass = 0; pass < 2; pass++) {
        var plotTop = reach + 8 + lines * nameLine, plotBottom = height - bottom - lines * nameLine;
        radius = Math.max(30, Math.min((plotBottom - plotTop) / 2, width * 0.27));
        r.center = [Math.round(width / 2), Math.round((plotTop + plotBottom) / 2)];
        var nameWidth = Math.max(60, Math.floor(width / 2 - radius - 24));
        wrapped = names.map(function (n) { return wrapText(n, nameSize + 'px ' + family, nameWidth); });
        lines = wrapped.reduce(function (m, l) { return Math.max(m, l.length); }, 1);
      }
      r.radius = Math.round(radius);
      r.axisName = Object.assign({}, r.axisName, { fontSize: nameSize, lineHeight: nameLine });
      asList(r.indicator).forEach(function (ind, i) {
        if (ind && ind.name) ind.name = wrapped[i].join('\n');
      });
    });
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

  // readOption parses the option the template wrote beside the chart.
  function readOption(el) {
    var src = document.getElementById(el.dataset.chartOption);
    if (!src) {
      var e = new Error('no element #' + el.dataset.chartOption);
      e.reason = e.message;
      throw e;
    }
    try {
      var option = JSON.parse(src.textContent);
      // A template that wrote the JSON as a JS string gives a string here.
      if (typeof option === 'string') option = JSON.parse(option);
      if (!option || typeof option !== 'object') throw new TypeError('option is not an object');
      return option;
    } catch (err) {
      err.reason = 'bad option JSON';
      throw err;
    }
  }

  function fontFamily(el) {
    return window.getComputedStyle(el).fontFamily;
  }

  // onPage leaves to the page what it already says beside the chart:
  // the title is the figure's caption, and a subtitle that names the
  // unit is the value axis' name. Only a subtitle that says something
  // else (which way is better) is drawn. The slide image, which has no
  // caption beside it, keeps both (slideOption). The chart's accessible
  // name stays the one the page gave it (its title and summary), which
  // ECharts' own description, built from the title, would replace.
  function onPage(option, el) {
    var names = asList(option.xAxis).concat(asList(option.yAxis))
      .map(function (a) { return a && typeof a === 'object' ? a.name : null; })
      .filter(function (n) { return n != null && n !== ''; });
    option.title = asList(option.title).map(function (t) {
      if (!t || typeof t !== 'object') return t;
      var sub = t.subtext && names.indexOf(t.subtext) < 0 ? t.subtext : '';
      return Object.assign({}, t, { text: '', subtext: sub, show: sub !== '', itemGap: 0 });
    });
    if (el.dataset.chartLabel == null) el.dataset.chartLabel = el.getAttribute('aria-label') || '';
    asList(option.aria).forEach(function (a) {
      if (a && typeof a === 'object' && a.enabled && el.dataset.chartLabel) {
        a.label = Object.assign({}, a.label, { description: el.dataset.chartLabel });
      }
    });
  }

  // paperLegend makes the legend plain for paper, in smaller type, each
  // name broken into lines no wider than the chart (the long names of
  // national context lines), and returns the height it takes: rows as
  // ECharts lays them out, each as tall as its tallest name, 0 without
  // a legend.
  function paperLegend(option, width, family) {
    var size = 9, lh = lineHeight(size), gap = 6, icon = 18, pad = 5;
    var font = size + 'px ' + family;
    var avail = width - 2 * 5 - 2 * pad; // left and right, the padding
    var shown = asList(option.legend).filter(function (l) { return l && typeof l === 'object' && l.show !== false; });
    if (shown.length === 0) return 0;
    var wrapped = {}, height = 0, used = 0, tallest = 1, rows = 0;
    legendNames(option).forEach(function (n) {
      var lines = wrapText(n, font, Math.max(40, avail - icon - 5));
      wrapped[n] = lines.join('\n');
      var w = icon + 5 + lines.reduce(function (m, l) { return Math.max(m, textWidth(l, font)); }, 0);
      if (used > 0 && used + gap + w > avail) {
        height += tallest * lh + gap;
        used = 0;
        tallest = 1;
      }
      used += (used > 0 ? gap : 0) + w;
      tallest = Math.max(tallest, lines.length);
      rows++;
    });
    if (rows === 0) return 0;
    height += tallest * lh + 2 * pad;
    shown.forEach(function (l) {
      l.type = 'plain';
      l.left = 5;
      l.right = 5;
      l.itemGap = gap;
      l.itemWidth = icon;
      l.itemHeight = 9;
      l.textStyle = Object.assign({}, l.textStyle, { fontSize: size, lineHeight: lh });
      l.formatter = function (name) { return wrapped[name] || name; };
    });
    return height;
  }

  // drawnTexts are the boxes of the texts a chart has drawn and shows,
  // in the chart's pixels, each line of a wrapped text in its text's box:
  // {text, x1, y1, x2, y2}.
  function drawnTexts(chart) {
    var hidden = function (d) {
      for (var e = d; e; e = e.parent) if (e.ignore || e.invisible) return true;
      return false;
    };
    var boxes = new Map();
    chart.getZr().storage.getDisplayList(true).forEach(function (d) {
      if (d.type !== 'tspan' || !d.style || !d.style.text || hidden(d)) return;
      var r = d.getBoundingRect().clone();
      // zrender measures a line on a CJK glyph, which where no font has
      // one comes out shorter than the text: a line is as tall as its font.
      var size = parseFloat((String(d.style.font || '').match(/(\d+(?:\.\d+)?)px/) || [])[1] || 0);
      if (r.height < size) { r.y -= (size - r.height) / 2; r.height = size; }
      r.applyTransform(d.getComputedTransform());
      var key = d.parent || d;
      var b = boxes.get(key) || { text: '', x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
      b.text += d.style.text;
      b.x1 = Math.min(b.x1, r.x); b.y1 = Math.min(b.y1, r.y);
      b.x2 = Math.max(b.x2, r.x + r.width); b.y2 = Math.max(b.y2, r.y + r.height);
      boxes.set(key, b);
    });
    return Array.from(boxes.values());
  }

  function overlap(a, b) {
    return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  }

  // fitReferenceLabels keeps the labels of reference lines (the WHO
  // levels, the EU limit values: "WHO IT3 15") clear of each other and
  // of every other text. Where the lines are closer than a label is
  // tall (PM2.5's 15, 10 and 5 µg/m³ on a phone), labels are kept from
  // the strictest level up, and a label that would overlap one kept is
  // left out: its line is still drawn, and the chart's footnote names
  // every line with its value.
  function fitReferenceLabels(chart, option) {
    var marked = asList(option.series).some(function (s) { return s && s.markLine; });
    if (!marked) return;
    var series = chart.getOption().series || [];
    var refs = [];
    series.forEach(function (s, si) {
      var data = s && s.markLine && s.markLine.data;
      if (!Array.isArray(data)) return;
      data.forEach(function (d, di) {
        // Drawn as "{b} {c}": the name, then the value.
        if (d && d.name != null && d.yAxis != null) refs.push({ si: si, di: di, text: d.name + ' ' + d.yAxis, value: Number(d.yAxis) });
      });
    });
    if (refs.length === 0) return;
    var isRef = function (b) {
      return refs.some(function (r) { return b.text === r.text; });
    };
    var texts = drawnTexts(chart);
    var kept = texts.filter(function (b) { return !isRef(b); });
    // The strictest level first within its group (series), WHO's first.
    refs.sort(function (a, b) { return a.si - b.si || a.value - b.value; });
    var hide = {};
    refs.forEach(function (r) {
      var box = texts.filter(function (b) { return b.text === r.text; })[0];
      if (!box) return;
      // Two pixels apart at least: anti-aliasing is not a gap.
      var padded = { x1: box.x1 - 2, y1: box.y1 - 2, x2: box.x2 + 2, y2: box.y2 + 2 };
      if (kept.some(function (k) { return overlap(padded, k); })) {
        (hide[r.si] = hide[r.si] || {})[r.di] = true;
      } else {
        kept.push(box);
      }
    });
    if (Object.keys(hide).length === 0) return;
    chart.setOption({
      series: series.map(function (s, si) {
        if (!hide[si]) return {};
        return {
          markLine: {
            data: s.markLine.data.map(function (d, di) {
              return hide[si][di] ? Object.assign({}, d, { label: Object.assign({}, d.label, { show: false }) }) : d;
            })
          }
        };
      })
    });
  }

  // cssPixels reads a CSS length in px or mm as pixels; 0 if it is
  // neither.
  function cssPixels(value) {
    var m = /^\s*([\d.]+)(px|mm)\s*$/.exec(value || '');
    if (!m) return 0;
    return m[2] === 'mm' ? parseFloat(m[1]) * 96 / 25.4 : parseFloat(m[1]);
  }

  // printSize is the size a chart is drawn at on paper, or null. When
  // 'beforeprint' fires, the page is still laid out for the screen:
  // app.css names each chart's box on paper in --print-width and
  // --print-height, outside its print rules so that it can be read then.
  // Drawn at that size the chart fits its box, instead of being drawn at
  // the screen's width and cut by the box or squeezed into it.
  function printSize(el) {
    var cs = window.getComputedStyle(el);
    var w = cssPixels(cs.getPropertyValue('--print-width'));
    var h = cssPixels(cs.getPropertyValue('--print-height'));
    return w > 0 && h > 0 ? { width: Math.floor(w), height: Math.floor(h) } : null;
  }

  // pageOption is the chart's option laid out for its box on the page,
  // or, given its size on paper, for paper. On paper the legend is
  // plain and wrapped, every series named (a pager cannot be clicked on
  // paper), and the plot leaves it room; a ranking makes the size
  // taller where its rows need it.
  function pageOption(el, printing, size) {
    var option = localise(readOption(el));
    onPage(option, el);
    var family = fontFamily(el);
    if (option.textStyle == null) option.textStyle = { fontFamily: family };
    var width = (size ? size.width : el.clientWidth) || 600, bottom = 40;
    var height = (size ? size.height : el.clientHeight) || 320;
    if (printing) {
      var legendHeight = paperLegend(option, width, family);
      if (legendHeight > 0) bottom = legendHeight + 8;
      asList(option.grid).forEach(function (g) {
        if (g && typeof g === 'object') g.bottom = bottom;
      });
    }
    layout(option, width, height, bottom, family);
    if (!printing) fitLegend(option, el);
    // A ranking is as tall as its rows need, so that no two labels
    // overlap: below the title, a row per area, the axis under them.
    var rows = rankRows(option);
    if (rows > 0) {
      var g = asList(option.grid)[0] || {};
      var need = Math.ceil((parseFloat(g.top) || 60) + rows * RANK_ROW + (parseFloat(g.bottom) || 48) + 24);
      if (size) size.height = Math.max(size.height, need);
      else if (need > (el.clientHeight || 0)) el.style.height = need + 'px';
    }
    return option;
  }

  // ECharts is loaded when the first chart is drawn, from the address
  // charts.js's own script element names (data-echarts), so that a page
  // whose charts are below the fold does not parse it before it shows.
  var echartsSrc = document.currentScript && document.currentScript.dataset.echarts;
  var echartsWaiting = null;
  function loadECharts(done) {
    if (typeof window.echarts !== 'undefined') {
      done(true);
      return;
    }
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

  function isPrinting() {
    return !!(window.matchMedia && window.matchMedia('print').matches);
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
      var option, printing = isPrinting(), size = printing ? printSize(el) : null;
      try {
        option = pageOption(el, printing, size);
      } catch (err) {
        fail(el, err.reason || 'bad option', err);
        return;
      }
      try {
        if (reduceMotion && option.animation == null) option.animation = false;
        var chart = window.echarts.getInstanceByDom(el) ||
          window.echarts.init(el, null, size ? { renderer: 'canvas', width: size.width, height: size.height } : { renderer: 'canvas' });
        pending.add(chart);
        chart.on('finished', function () {
          pending.delete(chart);
          markDone(pending);
        });
        chart.setOption(option);
        fitReferenceLabels(chart, option);
        chart.twinmetricsWidth = size ? size.width : el.clientWidth;
        chart.twinmetricsPrint = printing;
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

  // A new width wraps the titles and labels again; paper gets the
  // whole legend, at the chart's size on paper (printSize).
  function resizeAll(printing) {
    printing = printing === true || isPrinting();
    charts.forEach(function (c) {
      if (c.isDisposed()) return;
      var el = c.getDom();
      var size = printing ? printSize(el) : null;
      var width = size ? size.width : el.clientWidth;
      var option = null;
      if (width !== c.twinmetricsWidth || printing !== c.twinmetricsPrint) {
        try {
          option = pageOption(el, printing, size);
          option.animation = false;
          c.setOption(option, true);
          c.twinmetricsWidth = width;
          c.twinmetricsPrint = printing;
        } catch (err) {
          console.error('twinmetrics: chart #' + el.id + ': relayout failed', err);
        }
      }
      c.resize(size ? { width: size.width, height: size.height } : { width: 'auto', height: 'auto' });
      // Laid out again: its reference lines' labels are fitted again.
      if (option) fitReferenceLabels(c, option);
      // Painted now: a print is laid out before the next animation
      // frame, when zrender would paint.
      if (printing) c.getZr().flush();
    });
  }

  var timer = 0;
  window.addEventListener('resize', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(resizeAll, 150);
  });
  // Print layout has another width: redraw for it and back. Charts not
  // yet scrolled to are drawn first.
  window.addEventListener('beforeprint', function () {
    if (window.twinmetricsDrawCharts) window.twinmetricsDrawCharts();
    resizeAll(true);
  });
  window.addEventListener('afterprint', function () { resizeAll(false); });
  if (window.matchMedia) {
    var printMedia = window.matchMedia('print');
    if (printMedia.addEventListener) printMedia.addEventListener('change', function () { resizeAll(); });
  }


  // Slide images. The buttons under a chart (data-chart-image="png" or
  // "svg", aria-controls naming the chart) draw it again off the page, in
  // a box as wide as the chart on the page and taller: the legend plain
  // and wrapped (every series, no pager), and under it the credit the
  // server wrote into data-chart-credit (sources and licences, years,
  // flags, data version, address). A PNG has twice the pixels of the
  // chart on the page; an SVG is text and paths.
  var IMAGE_PAD = 10, CREDIT_SIZE = 11, LEGEND_ROW = 24;

  // legendNames are the names a legend lists: its own data, or the
  // series' names (a radar's: its data items').
  function legendNames(option) {
    var names = [];
    function add(n) {
      if (n != null && n !== '' && names.indexOf(String(n)) < 0) names.push(String(n));
    }
    asList(option.legend).forEach(function (l) {
      if (l && Array.isArray(l.data)) l.data.forEach(function (d) { add(d && typeof d === 'object' ? d.name : d); });
    });
    if (names.length === 0) {
      asList(option.series).forEach(function (s) {
        if (!s) return;
        if (s.type === 'radar') asList(s.data).forEach(function (d) { add(d && d.name); });
        else add(s.name);
      });
    }
    return names;
  }

  // legendRows counts the rows a plain legend wraps its items into, as
  // ECharts lays them out: a 25 px symbol, 5 px, the name; 10 px apart.
  function legendRows(names, width, family, size) {
    var rows = names.length ? 1 : 0, used = 0;
    names.forEach(function (n) {
      var w = 25 + 5 + textWidth(n, (size || 12) + 'px ' + family);
      if (used > 0 && used + 10 + w > width) {
        rows++;
        used = 0;
      }
      used += (used > 0 ? 10 : 0) + w;
    });
    return rows;
  }

  // slideOption is the chart's option for its image, with the image's
  // size.
  function slideOption(el) {
    // The SVG writes the family into a style="…" attribute as it is:
    // double quotes there would end the attribute.
    var family = fontFamily(el).replace(/"/g, "'");
    var width = el.clientWidth || 600;
    var base = Math.max(el.clientHeight || 320, 320);
    var option = localise(readOption(el));
    option.textStyle = { fontFamily: family };
    option.animation = false;
    option.backgroundColor = '#ffffff';
    option.aria = { enabled: false };
    delete option.toolbox;
    var credit = wrapText(el.dataset.chartCredit || '', CREDIT_SIZE + 'px ' + family, width - 2 * IMAGE_PAD);
    var creditHeight = credit.length * lineHeight(CREDIT_SIZE) + IMAGE_PAD;
    var legendHeight = 0;
    var names = legendNames(option);
    asList(option.legend).forEach(function (l) {
      if (!l || typeof l !== 'object' || l.show === false) return;
      l.type = 'plain';
      l.left = IMAGE_PAD;
      l.right = IMAGE_PAD;
      delete l.top;
      l.bottom = creditHeight;
      l.textStyle = Object.assign({}, l.textStyle, { fontSize: 12, lineHeight: lineHeight(12) });
      legendHeight = legendRows(names, width - 2 * IMAGE_PAD - 10, family) * LEGEND_ROW + 10;
    });
    var height = base - 40 + legendHeight + creditHeight;
    layout(option, width, height, legendHeight + creditHeight, family);
    asList(option.grid).forEach(function (g) {
      if (g && typeof g === 'object') g.bottom = legendHeight + creditHeight + 12;
    });
    option.title = asList(option.title).concat([{
      text: credit.join('\n'), left: IMAGE_PAD, bottom: IMAGE_PAD / 2,
      textStyle: { fontSize: CREDIT_SIZE, fontWeight: 'normal', color: '#333333', lineHeight: lineHeight(CREDIT_SIZE) }
    }]);
    return { option: option, width: width, height: height };
  }

  // chartImage draws the chart's slide image: a blob and its size in
  // pixels (an SVG's in CSS pixels).
  function chartImage(el, type) {
    var slide = slideOption(el);
    var box = document.createElement('div');
    var inst = window.echarts.init(box, null, {
      renderer: type === 'svg' ? 'svg' : 'canvas', width: slide.width, height: slide.height, devicePixelRatio: 2
    });
    try {
      inst.setOption(slide.option);
      fitReferenceLabels(inst, slide.option);
      if (type === 'svg') {
        return { blob: new Blob([inst.renderToSVGString()], { type: 'image/svg+xml' }), width: slide.width, height: slide.height };
      }
      var url = inst.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' });
      var bytes = atob(url.slice(url.indexOf(',') + 1));
      var arr = new Uint8Array(bytes.length);
      for (var i = 0; i < bytes.length; i++) arr[i] = bytes.charCodeAt(i);
      return { blob: new Blob([arr], { type: 'image/png' }), width: slide.width * 2, height: slide.height * 2 };
    } finally {
      inst.dispose();
    }
  }

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  document.addEventListener('click', function (ev) {
    var button = ev.target.closest && ev.target.closest('button[data-chart-image]');
    if (!button) return;
    var el = document.getElementById(button.getAttribute('aria-controls'));
    var type = button.dataset.chartImage === 'svg' ? 'svg' : 'png';
    if (!el) return;
    loadECharts(function (ok) {
      if (!ok) {
        console.error('twinmetrics: chart #' + el.id + ': echarts not loaded');
        return;
      }
      try {
        var img = chartImage(el, type);
        download(img.blob, el.id + '.' + type);
      } catch (err) {
        console.error('twinmetrics: chart #' + el.id + ': image failed', err);
      }
    });
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
})();
