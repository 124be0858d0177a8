// The melding form: show the fields of some kinds only (fieldset.kind-only, data-kinds) for those kinds.
// Without JavaScript the form still works: the server shows them when the kind is known.
(function () {
  var kind = document.getElementById("kind");
  if (!kind) return;
  function show() {
    document.querySelectorAll("fieldset.kind-only").forEach(function (set) {
      var kinds = (set.getAttribute("data-kinds") || "").split(" ");
      set.hidden = kinds.indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", show);
  show();
})();
