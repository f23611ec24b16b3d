/* The dashboard's only script: while an announcement goes out, its delivery figures are
   fetched every 2 seconds and updated in place (no page reload, so a screen reader keeps its
   place; the status line is a polite live region). Without it the page still works: reload. */
(function () {
  "use strict";
  var box = document.getElementById("delivery");
  if (!box || !box.dataset.progress) return;
  var url = box.dataset.progress;

  function show(data) {
    var bar = box.querySelector("progress");
    bar.value = data.percent;
    bar.textContent = data.percent + " %";
    document.getElementById("percent").textContent =
      data.percent + " %" + (data.finished ? " · đã xong" : " · đang gửi, trang tự cập nhật");
    Object.keys(data.counts).forEach(function (channel) {
      var row = box.querySelector('tr[data-channel="' + channel + '"]');
      if (!row) return;  // a new channel appeared: the next reload shows it
      var c = data.counts[channel];
      var values = {
        waiting: (c.pending || 0) + (c.sending || 0), sent: c.sent || 0, failed: c.failed || 0,
        unreachable: c.unreachable || 0, skipped: c.skipped || 0, cancelled: c.cancelled || 0,
        in_doubt: c.in_doubt || 0
      };
      Object.keys(values).forEach(function (key) {
        var cell = row.querySelector('[data-key="' + key + '"]');
        if (cell) cell.textContent = String(values[key]);
      });
    });
    if (Object.keys(data.counts).some(function (c) {
      return !box.querySelector('tr[data-channel="' + c + '"]');
    })) {
      window.location.reload();  // rows for new channels come from the server
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) {
        show(data);
        if (!data.finished) setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
