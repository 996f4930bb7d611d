// Wardgate's WebAuthn page script (no inline script: the CSP forbids it). A button carrying
// data-webauthn="register" or "authenticate" fetches options from data-options, runs the ceremony
// with @simplewebauthn/browser, puts the result in its form's "response" field and submits the form.
(function () {
  'use strict';
  var browser = window.SimpleWebAuthnBrowser;
  function show(message) {
    var box = document.getElementById('webauthn-error');
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }
  function run(button) {
    var form = document.getElementById(button.getAttribute('data-form'));
    button.disabled = true;
    fetch(button.getAttribute('data-options'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
    })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.error_description || 'Wardgate could not start the security key request.');
          return body;
        });
      })
      .then(function (optionsJSON) {
        return button.getAttribute('data-webauthn') === 'register'
          ? browser.startRegistration({ optionsJSON: optionsJSON })
          : browser.startAuthentication({ optionsJSON: optionsJSON });
      })
      .then(function (result) {
        form.elements.response.value = JSON.stringify(result);
        form.submit();
      })
      .catch(function (error) {
        button.disabled = false;
        var name = error && error.name;
        show(name === 'NotAllowedError'
          ? 'The security key request was cancelled or timed out. Try again.'
          : name === 'SecurityError'
            ? 'This page is not at Wardgate\'s own address, so your security key cannot be used here. Go back to the application and sign in again.'
            : (error && error.message) || 'The security key request failed. Try again.');
      });
  }
  document.querySelectorAll('[data-webauthn]').forEach(function (button) {
    if (!browser || !browser.browserSupportsWebAuthn()) {
      button.disabled = true;
      show('This browser cannot use security keys or passkeys.');
      return;
    }
    button.addEventListener('click', function () { run(button); });
  });
})();
