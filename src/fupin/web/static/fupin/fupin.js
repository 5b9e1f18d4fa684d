// Small behaviours shared by the pages; each works without it too.
// A checkbox with data-check-all="NAME" ticks or clears every checkbox called NAME in its form.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[type=checkbox][data-check-all]")) return;
  var form = box.form || document;
  form.querySelectorAll('input[type=checkbox][name="' + box.dataset.checkAll + '"]').forEach(function (other) {
    if (!other.disabled) other.checked = box.checked;
  });
});
