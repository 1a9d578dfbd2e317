// Refreshes the live table from /api/live every two seconds (same origin:
// the session cookie goes with it). Text only: no markup from the server.
(function () {
  "use strict";
  var table = document.getElementById("live");
  var status = document.getElementById("live-status");
  if (!table || !window.fetch) { return; }
  var columns = ["source", "since", "seconds", "age", "gender", "race",
                 "expression", "confidence"];

  function cell(row, name) {
    var value = name === "since" ? row.first_seen.slice(11, 19) : row[name];
    if (value === null || value === undefined) { return ""; }
    if (name === "age") { return Math.round(value).toString(); }
    if (name === "confidence") { return value.toFixed(2); }
    return String(value);
  }

  function show(data) {
    var body = table.tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (!data.tracks.length) {
      var empty = body.insertRow();
      empty.className = "empty";
      var td = empty.insertCell();
      td.colSpan = columns.length;
      td.textContent = "Nobody in view.";
    }
    data.tracks.forEach(function (row) {
      var tr = body.insertRow();
      columns.forEach(function (name) {
        tr.insertCell().textContent = cell(row, name);
      });
    });
    status.textContent = data.updated
      ? "Updated " + data.updated.slice(0, 19).replace("T", " ") + " UTC."
      : "No watcher has reported yet.";
  }

  function refresh() {
    fetch("/api/live", {credentials: "same-origin"})
      .then(function (answer) {
        if (answer.status === 401) { window.location = "/sign-in?next=/live"; return null; }
        return answer.ok ? answer.json() : null;
      })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { status.textContent = "The server does not answer."; });
  }

  window.setInterval(refresh, 2000);
}());
