(function () {
  'use strict';
  var cards = document.querySelectorAll('[data-signal]');
  function light(key, on) {
    document.querySelectorAll('mark.ev').forEach(function (m) {
      var keys = (m.getAttribute('data-k') || '').split(' ');
      m.classList.toggle('lit', on && keys.indexOf(key) >= 0);
    });
    document.body.classList.toggle('focus', on);
  }
  cards.forEach(function (card) {
    function toggle() {
      var on = card.getAttribute('aria-pressed') !== 'true';
      cards.forEach(function (c) { c.setAttribute('aria-pressed', 'false'); });
      card.setAttribute('aria-pressed', on ? 'true' : 'false');
      light(card.getAttribute('data-signal'), on);
    }
    card.addEventListener('click', function (e) { if (e.target.tagName !== 'A') { toggle(); } });
    card.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
  });
  document.body.setAttribute('data-ready', 'report');
})();
