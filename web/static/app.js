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

  function onCopyStyle(button) {
    // One style of a card's "Cite" box (Harvard, APA, RIS, BibTeX): copy its text.
    var source = document.getElementById(button.getAttribute("data-target"));
    var card = button.closest(".card");
    var status = card ? card.querySelector(".copy-status") : null;
    if (!source) { return; }
    copyText(source.textContent).then(function () {
      if (status) { status.textContent = button.getAttribute("data-style") + " citation copied."; }
    }, function () {
      if (status) { status.textContent = "Could not copy: select the citation text."; }
    });
  }

  function followReading() {
    // The section list beside the text marks the section being read (wide screens): the last
    // heading above the top third of the window.
    var links = document.querySelectorAll(".toc-wide a[href^='#s-']");
    if (!links.length || !("IntersectionObserver" in window)) { return; }
    var byId = {};
    var headings = [];
    links.forEach(function (a) {
      var id = a.getAttribute("href").slice(1);
      var heading = document.getElementById(id);
      if (heading) { byId[id] = a; headings.push(heading); }
    });
    var shown = null;
    function update() {
      var line = window.innerHeight / 3;
      var current = null;
      headings.forEach(function (h) { if (h.getBoundingClientRect().top <= line) { current = h; } });
      var link = current ? byId[current.id] : null;
      if (link === shown) { return; }
      if (shown) { shown.classList.remove("current"); shown.removeAttribute("aria-current"); }
      shown = link;
      if (!link) { return; }
      link.classList.add("current");
      link.setAttribute("aria-current", "true");
      var box = link.closest(".toc-wide");  // keep the current section in view in a long list
      if (box && box.scrollHeight > box.clientHeight) {
        var top = link.getBoundingClientRect().top - box.getBoundingClientRect().top;
        if (top < 0 || top > box.clientHeight - 40) { box.scrollTop += top - box.clientHeight / 3; }
      }
    }
    var observer = new IntersectionObserver(update, { rootMargin: "0px 0px -66% 0px" });
    headings.forEach(function (h) { observer.observe(h); });
    window.addEventListener("scroll", function () { window.requestAnimationFrame(update); }, { passive: true });
    update();
  }

  function scrollableTables() {
    // A table wider than the screen scrolls inside its box: keyboard users reach it with Tab and scroll it
    // with the arrow keys; screen readers hear which table it is.
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.hasAttribute("tabindex") || box.scrollWidth <= box.clientWidth + 1) { return; }
      var caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") + " (scrolls sideways)");
    });
  }

  // Evaluator workbench: the evaluator's name lives in this browser (localStorage); the judgement
  // buttons show only when this browser turned them on (the reportqa_judging cookie, set on /evaluator).
  var NAME_KEY = "reportqa.evaluator";

  function evaluatorName() {
    try { return (window.localStorage.getItem(NAME_KEY) || "").trim(); } catch (err) { return ""; }
  }

  function rememberName(value) {
    try { window.localStorage.setItem(NAME_KEY, value.trim()); } catch (err) { /* private mode: the form field still works */ }
  }

  function judgingOn() {
    return document.cookie.split(";").some(function (c) { return c.trim() === "reportqa_judging=1"; });
  }

  function setUpEvaluator() {
    var stored = evaluatorName();
    document.querySelectorAll("input.evaluator-name").forEach(function (input) {
      if (stored && !input.value) { input.value = stored; }
      if (input.type !== "hidden") {
        input.addEventListener("change", function () {
          rememberName(input.value);
          document.querySelectorAll("input.evaluator-name").forEach(function (other) { other.value = input.value; });
        });
      }
    });
    if (!stored) {
      var given = document.querySelector("input.evaluator-name:not([type=hidden])");
      if (given && given.value) { rememberName(given.value); }
    }
    if (!judgingOn()) {
      document.querySelectorAll(".judge").forEach(function (box) { box.hidden = true; });
    }
  }

  function onJudge(button) {
    var box = button.closest(".judge");
    var status = box.querySelector(".judge-status");
    var who = evaluatorName();
    if (!who) {  // judgements carry a name: ask for one rather than record an anonymous "evaluator"
      who = (window.prompt("Your name (saved with your judgements in this browser):") || "").trim();
      if (!who) { status.textContent = "Not saved: give your name first."; return; }
      rememberName(who);
      document.querySelectorAll("input.evaluator-name").forEach(function (input) { input.value = who; });
    }
    var body = {
      query: box.getAttribute("data-query"),
      passage_id: box.getAttribute("data-passage"),
      relevant: button.getAttribute("data-relevant") === "true",
      who: who
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

  // Back from a page a link opened (the reader, from "Open in context") puts focus back on that link, so
  // keyboard and screen-reader users carry on where they were. The link is remembered in this page's own
  // history entry: by its id, else by its place among the page's links.
  var FOCUS_KEY = "reportqaReturnTo";

  function rememberLink(link) {
    if (link.origin !== window.location.origin ||
        (link.pathname === window.location.pathname && link.search === window.location.search)) { return; }
    var links = Array.prototype.slice.call(document.querySelectorAll("main a[href]"));
    var state = Object.assign({}, window.history.state || {});
    state[FOCUS_KEY] = link.id ? { id: link.id } : { index: links.indexOf(link) };
    try { window.history.replaceState(state, ""); } catch (err) { /* no history API: nothing to restore */ }
  }

  function restoreFocus() {
    var saved = window.history.state && window.history.state[FOCUS_KEY];
    if (!saved) { return; }
    var link = saved.id ? document.getElementById(saved.id)
                        : document.querySelectorAll("main a[href]")[saved.index];
    if (link) { link.focus(); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var link = target.closest("main a[href]");
    if (link) { rememberLink(link); }
    if (target.matches("button.copy")) { onCopy(target); }
    if (target.matches("button.copy-style")) { onCopyStyle(target); }
    if (target.matches(".judge button")) { onJudge(target); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.copy, button.copy-style").forEach(function (b) { b.hidden = false; });
    var focus = document.getElementById("focus");
    var hashTarget = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    var moved = document.querySelector("[data-moved-target]");
    if (focus && !hashTarget) {
      focus.scrollIntoView({ block: "center" });
    } else if (moved && !hashTarget) {
      var start = document.getElementById(moved.getAttribute("data-moved-target"));
      if (start) { start.scrollIntoView({ block: "start" }); }
    }
    followReading();
    setUpEvaluator();
    scrollableTables();
    window.addEventListener("resize", scrollableTables);
  });

  window.addEventListener("pageshow", restoreFocus);  // a fresh load and a page restored from the back-forward cache
})();
