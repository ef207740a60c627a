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

  // --- playback: quotes, transcript words and the per-turn strip play the answer from that moment ---
  function answerAudio(turn) { return turn ? turn.querySelector('audio.aa') : null; }
  function playFrom(turn, seconds) {
    var audio = answerAudio(turn);
    if (!audio || isNaN(seconds)) { return false; }
    document.querySelectorAll('audio').forEach(function (a) { if (a !== audio) { a.pause(); } });
    audio.currentTime = Math.max(0, seconds);
    var p = audio.play();
    if (p && p.catch) { p.catch(function () {}); }
    return true;
  }
  function firstWord(mark) {
    var w = mark.querySelector('.w');
    if (w) { return w; }
    var all = Array.prototype.slice.call(mark.closest('.turn').querySelectorAll('.w'));
    for (var i = 0; i < all.length; i++) {
      if (mark.compareDocumentPosition(all[i]) & Node.DOCUMENT_POSITION_FOLLOWING) { return all[i]; }
    }
    return null;
  }
  document.querySelectorAll('a[href^="#ev-"]').forEach(function (a) {
    a.addEventListener('click', function () {
      var mark = document.getElementById(a.getAttribute('href').slice(1));
      var turn = mark && mark.closest('.turn');
      var w = mark && answerAudio(turn) && firstWord(mark);
      if (w) { playFrom(turn, parseFloat(w.getAttribute('data-t'))); }
    });
  });
  document.querySelectorAll('.turn .w').forEach(function (w) {
    w.addEventListener('click', function () { playFrom(w.closest('.turn'), parseFloat(w.getAttribute('data-t'))); });
  });
  document.querySelectorAll('.strip').forEach(function (strip) {
    var turn = strip.closest('.turn');
    strip.addEventListener('click', function (e) {
      var t = e.target.getAttribute('data-t');
      if (t === null) {
        var box = strip.getBoundingClientRect();
        t = (e.clientX - box.left) / box.width * parseFloat(strip.getAttribute('data-seconds'));
      }
      playFrom(turn, parseFloat(t));
    });
  });
  // the word being spoken is highlighted while an answer plays
  document.querySelectorAll('audio.aa').forEach(function (audio) {
    var turn = audio.closest('.turn');
    var words = Array.prototype.slice.call(turn.querySelectorAll('.w'));
    var head = turn.querySelector('.strip .head');
    var seconds = parseFloat(turn.querySelector('.strip').getAttribute('data-seconds')) || 0;
    var shown = null;
    function mark() {
      var t = audio.currentTime, index = null;
      for (var i = 0; i < words.length; i++) {
        var s = parseFloat(words[i].getAttribute('data-t')), e = parseFloat(words[i].getAttribute('data-e'));
        if (t >= s && t < Math.max(e, s + 0.05)) { index = words[i].getAttribute('data-i'); break; }
      }
      if (index !== shown) {
        words.forEach(function (w) { w.classList.toggle('now', w.getAttribute('data-i') === index); });
        shown = index;
      }
      if (head && seconds) { head.style.left = Math.min(100, 100 * t / seconds) + '%'; }
    }
    function loop() { mark(); if (!audio.paused) { window.requestAnimationFrame(loop); } }
    audio.addEventListener('play', loop);
    audio.addEventListener('seeked', mark);
    audio.addEventListener('timeupdate', mark);
    audio.addEventListener('pause', mark);
  });
  document.body.setAttribute('data-ready', 'report');
})();
