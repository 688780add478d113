// Alert tones made with WebAudio (no sound files). Browsers keep audio suspended until the
// dispatcher has interacted with the page: then a button asks to enable sound.
//
// What played is written on <body> (data-last-sound, data-sound-count) for the tests and for
// anyone checking a screen: a tone that was due while audio was blocked is not counted.

const PATTERNS = {
  // Two-tone chime, moderate: a new critical or high alarm, repeated while unacknowledged.
  alert: { type: "sine", gain: 0.35, notes: [[880, 0, 0.18], [660, 0.22, 0.18], [880, 0.44, 0.18], [660, 0.66, 0.18]] },
  // Louder, harsher and faster: an alarm escalated (nobody acknowledged it within 60 s).
  escalation: {
    type: "square", gain: 0.6,
    notes: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i % 2 ? 1400 : 1000, i * 0.14, 0.11]),
  },
  // Low, falling and slow, unlike any alarm: the screen lost the hub and is not live.
  offline: { type: "triangle", gain: 0.5, notes: [[520, 0, 0.35], [390, 0.4, 0.35], [290, 0.8, 0.6]] },
};

let context = null;
let button = null;
let count = 0;

function audioContext() {
  if (context) return context;
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (!AudioContextClass) return null;
  try {
    context = new AudioContextClass();
  } catch {
    return null;
  }
  context.addEventListener("statechange", updateButton);
  return context;
}

function updateButton() {
  if (!button) return;
  button.hidden = !context || context.state === "running";
}

function resume() {
  const ctx = audioContext();
  if (ctx && ctx.state === "suspended") ctx.resume().then(updateButton, updateButton);
}

/** `enableButton` is shown while the browser blocks audio; any click or key press on the page
 * (a user gesture) also unblocks it. */
export function setUpSound(enableButton) {
  button = enableButton;
  audioContext();
  button.addEventListener("click", resume);
  document.addEventListener("pointerdown", resume, { capture: true });
  document.addEventListener("keydown", resume, { capture: true });
  updateButton();
  // Some browsers only report "suspended" after a moment.
  setTimeout(updateButton, 500);
}

export function soundBlocked() {
  return !context || context.state !== "running";
}

/** Play "alert", "escalation" or "offline"; false when audio is blocked or missing. */
export function play(name) {
  const ctx = audioContext();
  const pattern = PATTERNS[name];
  if (!ctx || !pattern) return false;
  if (ctx.state !== "running") {
    resume();
    updateButton();
    if (ctx.state !== "running") return false;
  }
  const start = ctx.currentTime + 0.02;
  const master = ctx.createGain();
  master.gain.value = pattern.gain;
  master.connect(ctx.destination);
  for (const [frequency, offset, length] of pattern.notes) {
    const tone = ctx.createOscillator();
    const envelope = ctx.createGain();
    tone.type = pattern.type;
    tone.frequency.value = frequency;
    // A short attack and release: no clicks.
    envelope.gain.setValueAtTime(0, start + offset);
    envelope.gain.linearRampToValueAtTime(1, start + offset + 0.01);
    envelope.gain.setValueAtTime(1, start + offset + length - 0.02);
    envelope.gain.linearRampToValueAtTime(0, start + offset + length);
    tone.connect(envelope).connect(master);
    tone.start(start + offset);
    tone.stop(start + offset + length + 0.01);
  }
  count += 1;
  document.body.dataset.lastSound = name;
  document.body.dataset.soundCount = String(count);
  return true;
}
