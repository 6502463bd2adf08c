// The sample page: plain DOM and the browser's own EventSource, no framework, no build step.
// Every stream shows a status dot and the id of the last event it received, so reconnects and
// resumption (Last-Event-ID) are visible. State is mirrored in data-* attributes for the tests.

const GAP_EVENT = 'sse-gap'; // the hub's event when it no longer holds a resumed id
const UNNUMBERED = new Set([GAP_EVENT, 'join', 'leave']); // events without an id of their own
const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------------------------------------
// Streams: one EventSource per card, at most five per page (browsers allow six connections per
// host over HTTP/1.1, and fetch() calls need one).

/** @type {Map<string, { source: EventSource, seen: Set<string> }>} */
const streams = new Map();

function statusOf(name) {
  return document.querySelector(`[data-stream="${name}"]`);
}

function setStatus(name, state, label = state) {
  const el = statusOf(name);
  el.dataset.state = state;
  el.querySelector('.state').textContent = label;
}

function bump(el, key) {
  el.dataset[key] = String(Number(el.dataset[key] ?? 0) + 1);
}

/**
 * Opens (or reopens) the named stream.
 * @param {string} name
 * @param {string} url
 * @param {{ events: Record<string, (data: unknown, event: MessageEvent) => void>, onClosed?: () => void | Promise<void> }} handlers
 */
function openStream(name, url, handlers) {
  closeStream(name);
  const el = statusOf(name);
  for (const key of ['opens', 'errors', 'dupes', 'gaps', 'lastId']) delete el.dataset[key];
  el.querySelector('.last-id').textContent = '';
  const source = new EventSource(url);
  const entry = { source, seen: new Set() };
  streams.set(name, entry);
  setStatus(name, 'connecting');

  source.onopen = () => {
    bump(el, 'opens');
    const resumes = Number(el.dataset.opens) - 1;
    setStatus(name, 'open', resumes > 0 ? `open · resumed ×${resumes}` : 'open');
  };
  source.onerror = () => {
    if (streams.get(name) !== entry) return;
    bump(el, 'errors');
    if (source.readyState === EventSource.CLOSED) {
      setStatus(name, 'closed', 'closed');
      void handlers.onClosed?.();
    } else {
      setStatus(name, 'reconnecting', `reconnecting from #${el.dataset.lastId ?? '–'}`);
    }
  };

  const events = {
    ...handlers.events,
    [GAP_EVENT]: () => notice(name, 'Some events were no longer held by the server: reload for a fresh view.'),
  };
  for (const [type, handle] of Object.entries(events)) {
    source.addEventListener(type, (event) => {
      // Presence (join/leave) and gap notices carry no id: EventSource reports the previous one.
      if (event.lastEventId && !UNNUMBERED.has(type)) {
        // An id seen twice would be a duplicate delivery: count it so it shows (and tests catch it).
        if (entry.seen.has(event.lastEventId)) bump(el, 'dupes');
        entry.seen.add(event.lastEventId);
        el.dataset.lastId = event.lastEventId;
        el.querySelector('.last-id').textContent = `#${event.lastEventId}`;
      }
      if (type === GAP_EVENT) bump(el, 'gaps');
      handle(parse(event.data), event);
    });
  }
  return entry;
}

function closeStream(name) {
  streams.get(name)?.source.close();
  streams.delete(name);
  setStatus(name, 'idle', 'idle');
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

// ---------------------------------------------------------------------------------------------
// Small DOM helpers.

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') el.className = value;
    else if (key.startsWith('data-')) el.setAttribute(key, value);
    else el[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

const time = (at) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const idTag = (id) => h('code', { class: 'id' }, `#${id}`);

let toastTimer;
function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 2500);
}

function notice(name, text) {
  const list = name === 'chat' ? $('#chat') : $('#notifications');
  list?.append(h('li', { class: 'notice' }, text));
}

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    throw new Error(`${res.status} ${problem.message ?? res.statusText}`);
  }
  return res.status === 204 ? undefined : res.json();
}

// ---------------------------------------------------------------------------------------------
// Session: the guard reads an HttpOnly cookie that POST /session sets.

let currentUser = '';

async function signIn(user) {
  if (user) await post('/session', { user });
  else await fetch('/session', { method: 'DELETE' });
  currentUser = user;
  $('#user').value = user;
  document.body.dataset.user = user;
  const url = new URL(location.href);
  url.searchParams.set('user', user || 'none');
  history.replaceState(null, '', url);
  $('#notifications').replaceChildren();
  $('#chat').append(h('li', { class: 'notice' }, user ? `— you are ${user} —` : '— signed out —'));
  openNotifications();
  openChat();
}

/** A user-bound stream that closed: tell a 401 (signed out) from a server that stopped it. */
async function explainClosed(name) {
  const res = await fetch('/session').catch(() => undefined);
  if (res?.status === 401) setStatus(name, 'unauthorized', 'closed · 401, sign in');
}

// ---------------------------------------------------------------------------------------------
// Jobs.

function openJob(job) {
  const fill = h('div', { class: 'fill' });
  const percent = h('span', { class: 'percent' }, '0 %');
  const message = h('span', { class: 'message' }, 'Waiting for the first event…');
  const eventId = h('code', { class: 'id' });
  const item = h(
    'li',
    { class: 'job running', 'data-job-id': job.id },
    h('div', { class: 'job-head' }, h('strong', {}, job.label), percent),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, fill),
    h('div', { class: 'job-foot' }, message, eventId),
  );
  $('#jobs').prepend(item);
  const show = (progress) => {
    fill.style.width = `${progress.percent}%`;
    percent.textContent = `${progress.percent} %`;
    message.textContent = progress.message;
    eventId.textContent = `event #${progress.step}`;
    item.dataset.percent = String(progress.percent);
    bump(item, 'received');
    item.querySelector('.bar').setAttribute('aria-valuenow', String(progress.percent));
  };
  $('#start-job').disabled = true;
  openStream('jobs', job.events, {
    events: {
      progress: show,
      done: (progress) => {
        show(progress);
        item.classList.replace('running', 'done');
        item.dataset.done = 'true';
      },
    },
    onClosed: () => {
      const done = item.dataset.done === 'true';
      setStatus('jobs', 'closed', done ? 'done · 204, stopped' : 'closed');
      if (!done) item.classList.replace('running', 'failed');
      $('#start-job').disabled = false;
    },
  });
}

$('#start-job').addEventListener('click', async () => {
  try {
    openJob(await post('/jobs'));
  } catch (err) {
    toast(`Could not start a job: ${err.message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Notifications.

function openNotifications() {
  openStream('notifications', '/notifications/events', {
    events: {
      message: (note, event) => {
        $('#notifications').prepend(
          h(
            'li',
            { class: 'note', 'data-id': event.lastEventId },
            h('div', { class: 'note-head' }, h('strong', {}, note.from), idTag(event.lastEventId), h('time', {}, time(note.at))),
            h('div', { class: 'text' }, note.text),
          ),
        );
      },
    },
    onClosed: () => explainClosed('notifications'),
  });
}

$('#notify-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('#notify-text');
  if (!input.value.trim()) return;
  try {
    await post('/notifications', { to: $('#notify-to').value, text: input.value });
    input.value = '';
  } catch (err) {
    toast(`Not sent: ${err.message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Chat.

async function refreshMembers() {
  const res = await fetch('/chat/members').catch(() => undefined);
  if (!res?.ok) return;
  const { members } = await res.json();
  $('#members').textContent = members.length ? members.join(', ') : 'nobody';
}

function appendChat(item) {
  const log = $('#chat');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(item);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function openChat() {
  const presence = (verb) => (data) => {
    appendChat(
      // Presence has no id of its own (it is not history): nothing to show for it.
      h('li', { class: `presence ${verb}` }, `${data.user} ${verb === 'join' ? 'joined' : 'left'}`),
    );
    void refreshMembers();
  };
  openStream('chat', '/chat/events', {
    events: {
      message: (message, event) => {
        appendChat(
          h(
            'li',
            { class: `msg${message.from === currentUser ? ' mine' : ''}`, 'data-id': event.lastEventId },
            idTag(event.lastEventId),
            h('strong', {}, message.from),
            h('span', { class: 'text' }, message.text),
            h('time', {}, time(message.at)),
          ),
        );
      },
      join: presence('join'),
      leave: presence('leave'),
    },
    onClosed: () => explainClosed('chat'),
  });
  void refreshMembers();
}

$('#chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('#chat-text');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  try {
    await post('/chat/messages', { text });
  } catch (err) {
    input.value = text;
    toast(`Not sent: ${err.message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Metrics.

const heapHistory = [];

function openMetrics() {
  openStream('metrics', '/metrics/events', {
    events: {
      metrics: (m) => {
        $('#m-cpu').textContent = `${m.cpuPercent.toFixed(1)} %`;
        $('#m-heap').textContent = `${m.heapUsedMb.toFixed(1)} MB`;
        $('#m-rss').textContent = `${m.rssMb.toFixed(0)} MB`;
        $('#m-delay').textContent = `${m.eventLoopDelayMs.toFixed(1)} ms`;
        $('#m-open').textContent = String(m.openStreams);
        $('#m-cleanups').textContent = String(m.cleanUpRuns);
        $('#m-uptime').textContent = `${m.uptimeS} s`;
        $('#m-tick').textContent = `update ${m.tick} at ${time(m.at)}`;
        $('#metrics-card').dataset.tick = String(m.tick);
        heapHistory.push(m.heapUsedMb);
        if (heapHistory.length > 120) heapHistory.shift();
        drawSpark();
      },
    },
  });
}

function drawSpark() {
  const min = Math.min(...heapHistory);
  const span = Math.max(1, Math.max(...heapHistory) - min);
  const step = 120 / 119;
  const offset = 120 - (heapHistory.length - 1) * step;
  const points = heapHistory.map((v, i) => `${(offset + i * step).toFixed(1)},${(28 - ((v - min) / span) * 26).toFixed(1)}`);
  $('#spark polyline').setAttribute('points', points.join(' '));
}

// ---------------------------------------------------------------------------------------------
// Start.

// ---------------------------------------------------------------------------------------------
// Long answer: a resumable stream. The key is kept in sessionStorage, so a reload follows the
// same answer again (from its start: the hub replays what was said, then the rest live).

const ANSWER_KEY = 'nest-event-stream-sample.answer';
// A reload closes the EventSource too: that is not the end of the answer.
let leaving = false;
for (const type of ['beforeunload', 'pagehide']) addEventListener(type, () => (leaving = true));

function answerDone(state) {
  closeStream('answer');
  setStatus('answer', 'closed', state);
  sessionStorage.removeItem(ANSWER_KEY);
  $('#answer-card').dataset.done = state;
  $('#stop-answer').disabled = true;
  $('#ask').disabled = false;
}

function openAnswer(started) {
  sessionStorage.setItem(ANSWER_KEY, JSON.stringify(started));
  const card = $('#answer-card');
  card.dataset.key = started.key;
  card.dataset.tokens = '0';
  card.dataset.done = '';
  $('#answer').replaceChildren();
  $('#stop-answer').disabled = false;
  $('#ask').disabled = true;
  openStream('answer', started.events, {
    events: {
      prompt: ({ prompt }) => $('#answer').append(h('span', { class: 'prompt' }, `» ${prompt}`), h('br')),
      // The raw text: a token such as "42" must not turn into a number.
      token: (_data, event) => {
        $('#answer').append(event.data);
        bump(card, 'tokens');
      },
      done: () => answerDone('done'),
      stopped: () => answerDone('stopped'),
    },
    // 204: expired, or finished and seen.
    onClosed: () => {
      if (!leaving) answerDone(card.dataset.done || 'closed');
    },
  });
}

$('#answer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    openAnswer(await post('/answers', { prompt: $('#prompt').value }));
    $('#prompt').value = '';
  } catch (err) {
    toast(`Could not ask: ${err.message}`);
  }
});

$('#stop-answer').addEventListener('click', async () => {
  const key = $('#answer-card').dataset.key;
  if (key) await post(`/answers/${encodeURIComponent(key)}/stop`).catch((err) => toast(`Stop failed: ${err.message}`));
});

function resumeAnswer() {
  const saved = sessionStorage.getItem(ANSWER_KEY);
  if (saved) openAnswer(JSON.parse(saved));
}

$('#user').addEventListener('change', (event) => void signIn(event.target.value));
$('#drop').addEventListener('click', async () => {
  try {
    const { dropped } = await post('/debug/drop-connections');
    toast(`Dropped ${dropped} connection${dropped === 1 ? '' : 's'}: watch the dots reconnect and resume.`);
  } catch (err) {
    toast(`Drop failed: ${err.message}`);
  }
});

/** The badge naming the instance that served the page ("instance :3000 · express · hub: redis"). */
async function showInstance() {
  const res = await fetch('/instance').catch(() => undefined);
  if (!res?.ok) return;
  const { port, platform, hub, redis } = await res.json();
  const badge = $('#instance');
  badge.textContent = `instance :${port} · ${platform} · hub: ${hub}`;
  badge.dataset.hub = hub;
  if (redis) badge.title = `Hub on Redis at ${redis.url}, key prefix ${redis.keyPrefix}`;
  document.body.dataset.hub = hub;
  document.title = `:${port} · ${document.title}`;
}

const requested = new URLSearchParams(location.search).get('user');
await showInstance();
openMetrics();
await signIn(requested === 'none' ? '' : (requested ?? 'alice'));
resumeAnswer();
document.body.dataset.ready = 'true';
