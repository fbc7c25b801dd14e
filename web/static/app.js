// ReportQA niceties. Everything works without this file: copying falls back to the visible
// citation text, and judgement buttons only exist in evaluator mode.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy") ? resolve() : reject(new Error("copy failed")); }
      catch (err) { reject(err); }
      finally { document.body.removeChild(area); }
    });
  }

  function onCopy(button) {
    var card = button.closest(".card");
    var status = card ? card.querySelector(".copy-status") : null;
    copyText(button.getAttribute("data-citation")).then(function () {
      if (status) { status.textContent = "Citation copied."; }
    }, function () {
      if (status) { status.textContent = "Could not copy: select the citation text below."; }
      var details = card ? card.querySelector(".citation-text") : null;
      if (details) { details.open = true; }
    });
  }

  function onJudge(button) {
    var box = button.closest(".judge");
    var status = box.querySelector(".judge-status");
    var body = {
      query: box.getAttribute("data-query"),
      passage_id: box.getAttribute("data-passage"),
      relevant: button.getAttribute("data-relevant") === "true",
      who: "web"
    };
    fetch("/api/judgements", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (res) {
      status.textContent = res.ok ? (body.relevant ? "Saved: relevant." : "Saved: not relevant.")
                                  : "Not saved (" + res.status + ").";
    }, function () { status.textContent = "Not saved: the server did not answer."; });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.matches("button.copy")) { onCopy(target); }
    if (target.matches(".judge button")) { onJudge(target); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var focus = document.getElementById("focus");
    if (focus && !window.location.hash) {
      focus.scrollIntoView({ block: "center" });
    }
  });
})();
