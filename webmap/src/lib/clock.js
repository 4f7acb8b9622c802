// The pages' clock: the browser's, shifted by an offset that only a test sets
// (window.citymapClock.set(ms)), so that a browser test can cross the city's
// midnight in seconds instead of waiting for it.
let offset = 0;

export const now = () => Date.now() + offset;
export const nowDate = () => new Date(now());

if (typeof window !== 'undefined') {
  window.citymapClock = {
    set(ms) {
      offset = Number(ms) || 0;
    },
    get offset() {
      return offset;
    },
  };
}
