/* Protection portal: sessions that end kindly. Every page works without this script; with it,
 * (1) before the idle timeout a dialog offers to stay signed in, and (2) text typed into a form
 * that meets an ended session is kept in this browser tab (sessionStorage, never sent anywhere
 * else) and offered back after signing in again. Forms that may hold classified text are never
 * kept: only those marked data-keep (its value tells apart forms posting to one address). */
(function () {
  'use strict';
  var body = document.body;
  var KEY = 'portal-kept-form';
  var RESTORED = 'portal-kept-restored';
  var idle = parseInt(body.getAttribute('data-idle-seconds') || '0', 10);
  var signedIn = idle > 0;
  // Whose text it is: kept text is only ever offered back to the same person, and never for
  // longer than a working day.
  var person = body.getAttribute('data-person') || '';
  var KEEP_FOR_MS = 12 * 3600 * 1000;

  function read(key) {
    try { return JSON.parse(window.sessionStorage.getItem(key) || 'null'); } catch (e) { return null; }
  }
  function write(key, value) {
    try { window.sessionStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage off */ }
  }
  function forget(key) {
    try { window.sessionStorage.removeItem(key); } catch (e) { /* storage off */ }
  }
  function banner(text, link, href) {
    var main = document.getElementById('main');
    if (!main) { return; }
    var box = document.createElement('div');
    box.className = 'banner kept';
    box.setAttribute('role', 'status');
    var p = document.createElement('p');
    p.textContent = text;
    if (link) {
      var a = document.createElement('a');
      a.href = href;
      a.textContent = link;
      p.appendChild(document.createTextNode(' '));
      p.appendChild(a);
    }
    box.appendChild(p);
    main.insertBefore(box, main.firstChild);
  }

  // ---- typed text kept across an ended session ------------------------------------------------
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form && form.getAttribute && form.getAttribute('action') === '/sign-out') {
      forget(KEY);
      return;
    }
    if (!form || !form.hasAttribute || !form.hasAttribute('data-keep')) { return; }
    var fields = {};
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name !== 'csrf_token' && name !== 'op' && typeof value === 'string') { fields[name] = value; }
    });
    write(KEY, {
      person: person,
      at: Date.now(),
      page: window.location.pathname + window.location.search,
      key: form.getAttribute('data-keep'),
      action: form.getAttribute('action'),
      rebuild: form.hasAttribute('data-keep-rebuild'),
      fields: fields,
      ended: false
    });
  });

  if (read(RESTORED)) {
    forget(RESTORED);
    banner(body.getAttribute('data-text-restored') || '');
  }
  var kept = read(KEY);
  if (kept && (!kept.at || Date.now() - kept.at > KEEP_FOR_MS)) {
    forget(KEY);
    kept = null;
  }
  if (kept && !kept.ended && !signedIn) {
    // A page without the signed-in frame: the session has ended, or the submission met an
    // error page. Ask the portal which (a keep-alive answers 204 only to a live session).
    window.fetch('/session/keep-alive', { credentials: 'same-origin', cache: 'no-store', redirect: 'manual' })
      .then(function (res) {
        if (res.status === 204) {
          forget(KEY);
        } else {
          kept.ended = true;
          write(KEY, kept);
        }
      });
  } else if (kept && !kept.ended) {
    // The submission reached the portal: nothing to keep.
    forget(KEY);
  } else if (kept && signedIn && kept.person !== person) {
    // Someone else signed in on this tab: their predecessor's text is not theirs.
    forget(KEY);
  } else if (kept && signedIn) {
    var form = null;
    Array.prototype.forEach.call(document.querySelectorAll('form[data-keep]'), function (f) {
      if (f.getAttribute('data-keep') === kept.key && f.getAttribute('action') === kept.action) { form = f; }
    });
    if (!form) {
      banner(body.getAttribute('data-text-kept') || '', body.getAttribute('data-text-return') || '', kept.page);
    } else if (kept.rebuild) {
      // The request form: the portal draws it again with what was typed (as many measures as
      // there were), storing nothing until the person presses a button.
      var token = form.querySelector('input[name=csrf_token]');
      var again = document.createElement('form');
      again.method = 'post';
      again.action = kept.action;
      var add = function (name, value) {
        var input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        again.appendChild(input);
      };
      Object.keys(kept.fields).forEach(function (name) { add(name, kept.fields[name]); });
      if (token) { add('csrf_token', token.value); }
      add('op', 'restore');
      forget(KEY);
      write(RESTORED, true);
      body.appendChild(again);
      again.submit();
    } else {
      Object.keys(kept.fields).forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field && field.type !== 'hidden' && 'value' in field) { field.value = kept.fields[name]; }
      });
      forget(KEY);
      banner(body.getAttribute('data-text-restored') || '');
    }
  }

  // ---- a warning before the idle timeout ----------------------------------------------------
  var dialog = document.getElementById('session-warning');
  if (!signedIn || !dialog || typeof dialog.showModal !== 'function') { return; }
  var warnAfter = Math.max(idle - 120, Math.floor(idle * 0.8)) * 1000;
  var warnTimer = null;
  var endTimer = null;
  function arm() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(function () { dialog.showModal(); }, warnAfter);
    endTimer = window.setTimeout(function () {
      dialog.querySelector('.while-signed-in').hidden = true;
      dialog.querySelector('.signed-out').hidden = false;
      if (!dialog.open) { dialog.showModal(); }
    }, idle * 1000);
  }
  dialog.querySelector('[data-stay]').addEventListener('click', function () {
    window.fetch('/session/keep-alive', { credentials: 'same-origin', cache: 'no-store', redirect: 'manual' })
      .then(function (res) {
        if (res.status === 204) {
          dialog.close();
          arm();
        } else {
          // The session had ended already (elsewhere, or its absolute lifetime).
          dialog.querySelector('.while-signed-in').hidden = true;
          dialog.querySelector('.signed-out').hidden = false;
        }
      });
  });
  arm();
})();
