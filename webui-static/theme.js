/* theme.js — applies the theme chosen with the header's toggle before the page is drawn
 * (loaded without defer, so there is no flash of the other theme). Without a choice the
 * system's prefers-color-scheme decides. */
'use strict';
(function () {
  let t = null;
  try { t = localStorage.getItem('ow_theme'); } catch (e) { t = null; }
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
}());
