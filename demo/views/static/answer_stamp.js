watch('value', () => {
  const pad = document.querySelector('#sketchpad');
  const value = String(props.value);
  const newest = pad && value === pad.dataset.seq;  // the answer to the newest drawing
  if (newest) {
    document.querySelector('#prediction')?.classList.remove('stale');
    pad.dataset.answered = value;
  }
  if (newest || value.startsWith('picture-')) {  // or to a picture given instead of a drawing
    // Tell a screen reader the answer, once per drawing and only once it is final (this is the newest drawing's
    // answer; the ones a quicker stroke overtook never get here). One polite live region for the page, out of
    // sight; its words are the page's own: the answer's heading and the top digit, as the page shows them.
    requestAnimationFrame(() => {
      let region = document.getElementById('answer-announcer');
      if (!region) {
        region = document.createElement('div');
        region.id = 'answer-announcer';
        region.setAttribute('role', 'status');
        region.setAttribute('aria-live', 'polite');
        region.className = 'visually-hidden';  // demo/views/static/accessibility.css
        document.body.appendChild(region);
      }
      const heading = document.querySelector('#prediction [data-testid=block-label]')?.innerText.trim() || '';
      const answer = document.querySelector('#prediction .output-class')?.innerText.trim() || '';
      region.textContent = `${heading} ${answer}`.trim();
    });
  }
});
