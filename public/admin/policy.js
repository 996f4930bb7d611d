// Wardgate IT console, policy editor. Shows the settings form beside the JSON document and keeps
// the two in sync: a setting typed in the form is written into the JSON, and JSON typed by hand
// fills the form. After each change the draft is checked by the admin API
// (POST /admin/api/v1/policy/validate, this browser's session), and each error is shown beside the
// field its JSON pointer names, and listed under the JSON. Nothing is saved until a button is pressed.
(function () {
  'use strict';
  var settings = document.getElementById('policy-settings');
  var textarea = document.getElementById('document');
  var list = document.getElementById('policy-live-errors');
  var check = document.getElementById('policy-check');
  if (!settings || !textarea) return;
  settings.hidden = false;
  var fields = Array.prototype.slice.call(settings.querySelectorAll('[data-pointer]'));
  var timer = null;
  var sequence = 0;

  function segments(pointer) {
    return pointer.split('/').slice(1).map(function (s) { return s.replace(/~1/g, '/').replace(/~0/g, '~'); });
  }
  function read(doc, pointer) {
    return segments(pointer).reduce(function (value, key) { return value !== null && typeof value === 'object' ? value[key] : undefined; }, doc);
  }
  function write(doc, pointer, value) {
    var keys = segments(pointer);
    var target = doc;
    for (var i = 0; i < keys.length - 1; i++) {
      if (target[keys[i]] === null || typeof target[keys[i]] !== 'object') target[keys[i]] = {};
      target = target[keys[i]];
    }
    if (value === undefined) delete target[keys[keys.length - 1]];
    else target[keys[keys.length - 1]] = value;
  }
  // A field's text as the document's value: numbers stay text when they are not numbers (the API then names them).
  function valueOf(field) {
    var text = field.value.trim();
    if (field.getAttribute('data-kind') === 'countries') {
      if (text === '') return null;
      return text.split(/[\s,]+/).filter(Boolean).map(function (c) { return c.toUpperCase(); });
    }
    if (text === '') return undefined;
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  function shown(field, value) {
    if (field.getAttribute('data-kind') === 'countries') return Array.isArray(value) ? value.join(', ') : '';
    return value === undefined || value === null ? '' : String(value);
  }
  function parse() {
    try {
      return { doc: JSON.parse(textarea.value) };
    } catch (error) {
      return { error: error.message };
    }
  }

  function errorBox(field) {
    return document.getElementById(field.id + '-error');
  }
  function setError(field, messages) {
    var box = errorBox(field);
    var hint = document.getElementById(field.id + '-hint');
    if (!box) return;
    box.textContent = messages.join(' ');
    box.hidden = messages.length === 0;
    if (messages.length) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
    var described = [hint ? hint.id : null, messages.length ? box.id : null].filter(Boolean).join(' ');
    if (described) field.setAttribute('aria-describedby', described);
    else field.removeAttribute('aria-describedby');
    var wrapper = field.closest('.field');
    if (wrapper) wrapper.classList.toggle('has-error', messages.length > 0);
  }
  function showErrors(errors) {
    var byPointer = {};
    errors.forEach(function (e) { (byPointer[e.pointer] = byPointer[e.pointer] || []).push(e.message); });
    fields.forEach(function (field) { setError(field, byPointer[field.getAttribute('data-pointer')] || []); });
    list.textContent = '';
    errors.forEach(function (e) {
      var item = document.createElement('li');
      item.textContent = (e.pointer || '(document)') + ': ' + e.message;
      list.appendChild(item);
    });
    list.hidden = errors.length === 0;
    setError(textarea, errors.length ? ['The draft has ' + errors.length + ' error' + (errors.length === 1 ? '' : 's') + ', listed above.'] : []);
    check.textContent = errors.length ? '' : 'The draft is valid.';
  }

  function validate() {
    var parsed = parse();
    if (parsed.error) {
      showErrors([{ pointer: '', message: 'the JSON cannot be read: ' + parsed.error }]);
      return;
    }
    var mine = ++sequence;
    check.textContent = 'Checking…';
    fetch('/admin/api/v1/policy/validate', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ document: parsed.doc }),
    })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.error_description || 'The draft could not be checked.');
          return body;
        });
      })
      .then(function (body) {
        if (mine === sequence) showErrors(body.errors || []);
      })
      .catch(function (error) {
        if (mine === sequence) check.textContent = error.message + ' It is checked again when you save.';
      });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(validate, 250);
  }

  fields.forEach(function (field) {
    field.addEventListener('input', function () {
      var parsed = parse();
      if (parsed.error) {
        showErrors([{ pointer: '', message: 'fix the JSON first (it cannot be read: ' + parsed.error + ')' }]);
        return;
      }
      write(parsed.doc, field.getAttribute('data-pointer'), valueOf(field));
      textarea.value = JSON.stringify(parsed.doc, null, 2);
      later();
    });
  });
  textarea.addEventListener('input', function () {
    var parsed = parse();
    if (!parsed.error) {
      fields.forEach(function (field) {
        if (field !== document.activeElement) field.value = shown(field, read(parsed.doc, field.getAttribute('data-pointer')));
      });
    }
    later();
  });
})();
