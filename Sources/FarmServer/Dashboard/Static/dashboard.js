"use strict";
// The dashboard's live parts: a build's log, stages and progress over the
// session's event stream, and a deployment's targets. Pages work without it.

document.addEventListener("DOMContentLoaded", () => {
  const log = document.getElementById("log");
  if (log && log.dataset.finished !== "true") followBuild(log, Number(log.dataset.after || 0));
  const deployment = document.getElementById("deployment");
  if (deployment) followDeployment(deployment.dataset.deployment);
});

function setStatus(element, status) {
  if (!element) return;
  element.textContent = status;
  element.className = "status " + status;
}

function followBuild(log, after) {
  const hint = document.getElementById("log-hint");
  if (hint) hint.textContent = "Following the build live.";
  const source = new EventSource(`/ui/builds/${log.dataset.build}/events?after=${after}`);
  source.onmessage = (event) => {
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(event.data + "\n");
    if (atBottom) log.scrollTop = log.scrollHeight;
  };
  source.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    setStatus(document.getElementById("build-status"), status.status);
    document.getElementById("build-attempt").textContent = status.attempt;
  });
  source.addEventListener("progress", (event) => {
    const percent = JSON.parse(event.data).percent;
    document.getElementById("build-progress").value = percent;
    document.getElementById("build-percent").textContent = percent;
  });
  source.addEventListener("stage", (event) => {
    const stage = JSON.parse(event.data);
    setStatus(document.querySelector(`#stage-${stage.name} [data-field=status]`), stage.status);
  });
  source.addEventListener("end", () => {
    source.close();
    if (hint) hint.textContent = "The build has ended.";
  });
  // The server ends long streams saying where to go on from.
  source.addEventListener("resume", (event) => {
    source.close();
    followBuild(log, JSON.parse(event.data).after);
  });
}

const finished = ["completed", "failed", "cancelled", "rolled_back"];

function followDeployment(id) {
  const look = async () => {
    const response = await fetch(`/ui/deployments/${id}/status`, { credentials: "same-origin" }).catch(() => null);
    // The session ended: sign in again, and come back here.
    if (response && response.status === 401) return location.assign(`/ui/login?next=${encodeURIComponent(location.pathname)}`);
    if (!response || !response.ok) return setTimeout(look, 3000);
    const deployment = (await response.json()).data;
    setStatus(document.getElementById("deployment-status"), deployment.status);
    for (const target of deployment.targetSystems) {
      const row = document.getElementById(`target-${target.id}`);
      if (!row) continue;
      setStatus(row.querySelector("[data-field=status]"), target.status);
      for (const field of ["startedAt", "completedAt", "result"]) {
        row.querySelector(`[data-field=${field}]`).textContent = target[field] ?? "";
      }
    }
    if (!finished.includes(deployment.status)) setTimeout(look, 1000);
  };
  setTimeout(look, 1000);
}
