() => {
  // Clicks on links inside rendered answers/articles become events of hidden components:
  //   #cite=<label>  -> side panel shows the cited provision (highlighted)
  //   #open=<n>      -> side panel shows article n
  //   #article=<n>   -> article browser tab shows article n
  if (window.caLinksInstalled) return;
  window.caLinksInstalled = true;

  const send = (boxId, buttonId, value) => {
    const box = document.querySelector(`#${boxId} textarea, #${boxId} input`);
    const button = document.getElementById(buttonId);
    if (!box || !button) return;
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => button.click(), 50);
  };

  // --- asking: one question at a time; questions asked meanwhile wait in a visible queue ---
  // The box is emptied here, in the same event as Enter / "Ask", so characters typed right
  // after are kept; while an answer streams, Enter / "Ask" queue the box's text instead.
  window.caQueue = [];
  window.caBusy = false;
  const wellFormed = (s) =>
    String(s || "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const showStatus = () => {
    const el = document.getElementById("ask-status");
    if (!el) return;
    if (!window.caBusy && !window.caQueue.length) {
      el.innerHTML = "";
      return;
    }
    const items = window.caQueue.map((q) => `<li>${esc(q.length > 140 ? q.slice(0, 139) + "…" : q)}</li>`);
    el.innerHTML =
      '<div class="ask-status" role="status"><span class="busy">Answering…</span> ' +
      (items.length
        ? `Queued, asked next: <ol class="queued">${items.join("")}</ol>`
        : "You can type your next question; asking it now queues it.") +
      "</div>";
  };
  const takeBox = () => {
    // the question leaves the box synchronously, in the Enter / click event itself
    const box = document.querySelector("#question textarea, #question input");
    if (!box) return "";
    const q = wellFormed(box.value);
    box.value = "";
    box.dispatchEvent(new Event("input", { bubbles: true }));
    return q;
  };
  window.caAsk = (q) => {
    const text = window.caTaken !== undefined ? window.caTaken : wellFormed(q);
    window.caTaken = undefined;
    if (!text.trim()) return "";
    window.caBusy = true;
    showStatus();
    return text;
  };
  window.caAskQueued = (q) => {
    q = wellFormed(q);
    if (q.trim()) window.caBusy = true;
    showStatus();
    return q;
  };
  window.caAnswered = () => {
    window.caBusy = false;
    const next = window.caQueue.shift();
    showStatus();
    if (next !== undefined) {
      window.caBusy = true; // keep the order: nothing overtakes the queue
      showStatus();
      send("queued", "queued-go", next);
    }
  };
  const intercept = (event) => {
    const enter = event.type !== "click" && event.key === "Enter" && !event.shiftKey;
    const inBox = event.target.closest && event.target.closest("#question");
    const onAsk = event.type === "click" && event.target.closest && event.target.closest("#ask");
    if (!((enter && inBox) || onAsk)) return;
    if (event.type === "keypress") {
      if (window.caBusy) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
      return;
    }
    if (!window.caBusy) {
      window.caTaken = takeBox(); // Gradio's own submit / click goes on and asks it
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    const q = takeBox();
    if (q.trim()) window.caQueue.push(q);
    showStatus();
  };
  for (const type of ["keydown", "keypress", "click"]) document.addEventListener(type, intercept, true);

  window.caScrollToMark = (root) => {
    setTimeout(() => {
      const mark = document.querySelector(`${root} mark`);
      if (mark) mark.scrollIntoView({ block: "center", behavior: "smooth" });
    }, 60);
  };

  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest && event.target.closest("a[href^='#']");
      if (!link) return;
      const href = link.getAttribute("href") || "";
      const [scheme, ...rest] = href.slice(1).split("=");
      const value = decodeURIComponent(rest.join("="));
      if (!value) return;
      if (scheme === "cite") send("cite-target", "cite-go", `cite:${value}`);
      else if (scheme === "open") send("cite-target", "cite-go", `open:${value}`);
      else if (scheme === "article") send("article-target", "article-go", value);
      else return;
      event.preventDefault();
      event.stopPropagation();
    },
    true,
  );
}
