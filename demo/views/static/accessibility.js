// What Gradio's page leaves unnamed, or names only in English, for a screen reader. Gradio draws these at any time,
// so a watcher fixes each as it appears, and again when the visitor switches language (<html lang> changes).
(() => {
  // The thumbnails' names in each language, from the app's catalogs ("Thumbnail 3 of 30" is Gradio's own English).
  const THUMBNAIL = __THUMBNAIL__;
  const fix = () => {
    // An empty image, plot or gallery is a <div class="empty" aria-label="Empty value"> with an icon: a name on an
    // element without a role, which screen readers ignore (axe: aria-prohibited-attr, serious). It is a picture.
    document.querySelectorAll('div.empty[aria-label]:not([role])').forEach((box) => box.setAttribute('role', 'img'));
    const words = THUMBNAIL[(document.documentElement.lang || 'en').slice(0, 2)] || THUMBNAIL.en;
    document.querySelectorAll('.thumbnail-item[aria-label]').forEach((thumb) => {
      const english = /^Thumbnail (\d+) of (\d+)$/.exec(thumb.getAttribute('aria-label'));
      if (english) thumb.dataset.place = `${english[1]}/${english[2]}`;
      if (!thumb.dataset.place) return;
      const [number, count] = thumb.dataset.place.split('/');
      const name = words.replace('{number}', number).replace('{count}', count);
      if (thumb.getAttribute('aria-label') !== name) thumb.setAttribute('aria-label', name);
    });
  };
  const watcher = new MutationObserver(fix);
  watcher.observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                             attributeFilter: ['lang', 'aria-label']});
  document.addEventListener('DOMContentLoaded', fix);
})();
