/*
 * twinmetrics on paper. A printed page names the day it was printed, in
 * the reader's calendar: pages are served from a cache, so a date the
 * server wrote would be the day the page was drawn, not the day it was
 * printed. The page names the date of its data version either way.
 *
 * Contract with the templates: <span class="printed-on" hidden>Printed
 * <span data-printed-on></span>. </span>, shown on paper only (app.css).
 * Plain ES2017, no inline script.
 */
(function () {
  'use strict';

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function stamp() {
    var d = new Date();
    var day = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    Array.prototype.forEach.call(document.querySelectorAll('.printed-on'), function (el) {
      var t = el.querySelector('[data-printed-on]');
      if (!t) return;
      t.textContent = day;
      el.hidden = false;
    });
  }

  window.addEventListener('beforeprint', stamp);
  if (window.matchMedia) {
    var media = window.matchMedia('print');
    if (media.addEventListener) {
      media.addEventListener('change', function (e) { if (e.matches) stamp(); });
    }
  }
})();
