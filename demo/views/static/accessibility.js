// What Gradio's page leaves unnamed, or writes only the English way. Gradio draws these at any time, so a watcher
// fixes each as it appears, and again when the visitor switches language (<html lang> changes).
(() => {
  // The texts written here, in English (the page's title, which Gradio sets once; a gallery thumbnail's name, for
  // Gradio's own "Thumbnail 3 of 30"; an empty picture's, for its "Empty value"; the tabs' names in their order,
  // as Gradio turns a tab's button only when it is selected), and each in every language, from the app's catalogs.
  const ENGLISH = __ENGLISH__;
  const WORDS = __WORDS__;
  const fix = () => {
    const language = (document.documentElement.lang || 'en').slice(0, 2);
    const say = (english) => (WORDS[language] || {})[english] || english;
    const title = say(ENGLISH.title);
    if (document.title && document.title !== title) document.title = title;
    // An empty image, plot or gallery is a <div class="empty" aria-label="Empty value"> with an icon: a name on an
    // element without a role, which screen readers ignore (axe: aria-prohibited-attr, serious). It is a picture.
    const empty = say(ENGLISH.empty);
    document.querySelectorAll('div.empty[aria-label]').forEach((box) => {
      if (!box.getAttribute('role')) box.setAttribute('role', 'img');
      if (box.getAttribute('aria-label') !== empty) box.setAttribute('aria-label', empty);
    });
    const names = ENGLISH.tabs.map(say);
    document.querySelectorAll('button[role=tab]').forEach((tab, index) => {
      const node = [...tab.childNodes].find((child) => child.nodeType === Node.TEXT_NODE && child.data.trim());
      if (node && names[index] && node.data.trim() !== names[index]) node.data = names[index];
    });
    const words = say(ENGLISH.thumbnail);
    document.querySelectorAll('.thumbnail-item[aria-label]').forEach((thumb) => {
      const english = /^Thumbnail (\d+) of (\d+)$/.exec(thumb.getAttribute('aria-label'));
      if (english) thumb.dataset.place = `${english[1]}/${english[2]}`;
      if (!thumb.dataset.place) return;
      const [number, count] = thumb.dataset.place.split('/');
      const name = words.replace('{number}', number).replace('{count}', count);
      if (thumb.getAttribute('aria-label') !== name) thumb.setAttribute('aria-label', name);
    });
    // A message box's title is its kind's English name ("Error", "Warning", "Info"), and its close button "Close".
    document.querySelectorAll('.toast-title').forEach((title) => {
      const node = [...title.childNodes].find((child) => child.nodeType === Node.TEXT_NODE && child.data.trim());
      if (!node) return;
      if (ENGLISH.toasts.includes(node.data.trim())) title.dataset.english = node.data.trim();
      if (!title.dataset.english) return;
      const shown = say(title.dataset.english);
      if (node.data.trim() !== shown) node.data = `${shown} `;
    });
    const close = say(ENGLISH.close);
    document.querySelectorAll('[data-testid=toast-close]').forEach((button) => {
      if (button.getAttribute('aria-label') !== close) button.setAttribute('aria-label', close);
    });
    // Gradio's status over a waiting or working output: "queue: 2/5 |", "processing |" (its timer follows).
    const queue = say(ENGLISH.queue);
    const processing = say(ENGLISH.processing);
    document.querySelectorAll('.progress-text').forEach((status) => {
      status.childNodes.forEach((node) => {
        if (node.nodeType !== Node.TEXT_NODE) return;
        const waiting = /^queue: (\d+)\/(\d+) \|$/.exec(node.data.trim());
        const shown = waiting ? `${queue.replace('{position}', waiting[1]).replace('{size}', waiting[2])} |`
          : node.data.trim() === 'processing |' ? `${processing} |` : null;
        if (shown && shown !== node.data.trim()) node.data = shown;
      });
    });
    // gr.Label writes its confidences "87%" whatever the language: "87 %" in German, "%87" in Turkish. Only the text
    // node's data changes (Gradio keeps updating that same node), and only when it differs, so this never loops.
    const percent = new Intl.NumberFormat(document.documentElement.lang || 'en', {style: 'percent'});
    document.querySelectorAll('dd.confidence').forEach((cell) => {
      const node = cell.firstChild;
      if (!node || node.nodeType !== Node.TEXT_NODE) return;
      const english = /^(\d+)%$/.exec(node.data.trim());
      if (english) cell.dataset.percent = english[1];
      if (!cell.dataset.percent) return;
      const shown = percent.format(Number(cell.dataset.percent) / 100);
      if (node.data !== shown) node.data = shown;
    });
  };
  const watcher = new MutationObserver(fix);
  watcher.observe(document.documentElement, {childList: true, subtree: true, characterData: true, attributes: true,
                                             attributeFilter: ['lang', 'aria-label']});
  document.addEventListener('DOMContentLoaded', fix);
})();
