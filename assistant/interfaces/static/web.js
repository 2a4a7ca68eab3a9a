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
