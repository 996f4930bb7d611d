// Wardgate IT console, shifts page: a chosen rota file's text goes into the "Rota text" box, which
// the form sends (as the admin API's importShifts body). No upload happens until Import is pressed.
(function () {
  'use strict';
  var input = document.getElementById('rota-file');
  var box = document.getElementById('csv');
  var status = document.getElementById('rota-file-status');
  if (!input || !box) return;
  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    file.text().then(
      function (text) {
        box.value = text;
        var lines = text.split(/\r?\n/).filter(function (l) { return l.trim() !== ''; }).length;
        if (status) status.textContent = 'Read ' + file.name + ': ' + lines + ' line' + (lines === 1 ? '' : 's') + ', shown below. Choose Import rota to import it.';
      },
      function () {
        if (status) status.textContent = 'The file ' + file.name + ' could not be read.';
      },
    );
  });
})();
