// Lists the newest recordings from the API (one page) and plays the chosen one with hls.js (or natively where HLS is built in).
const video = document.getElementById('video');
const list = document.getElementById('list');
const info = document.getElementById('info');
let hls = null;
let current = null;

function describe(r) {
  const rungs = (r.renditions || []).map(x => x.name + (x.height ? ' ' + x.height + 'p' : '')).join(', ');
  return `${r.durationSeconds.toFixed(1)} s · ${rungs || 'no renditions yet'}`;
}

async function refresh() {
  try {
    const res = await fetch('/api/v1/recordings?limit=50');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const recordings = (await res.json()).items;
    list.replaceChildren(...recordings.map(r => {
      const li = document.createElement('li');
      li.dataset.id = r.id;
      li.className = r.id === current ? 'active' : '';
      li.innerHTML = `<strong></strong><span class="status ${r.status}">${r.status}</span><div class="meta"></div>`;
      li.querySelector('strong').textContent = `${r.app}/${r.stream}`;
      li.querySelector('.meta').textContent = `${new Date(r.startedAt).toLocaleString()} · ${describe(r)}`;
      if (r.playbackUrl) li.onclick = () => play(r);
      return li;
    }));
    if (recordings.length === 0) list.innerHTML = '<li>No recordings yet. Publish a stream.</li>';
  } catch (e) {
    list.innerHTML = '<li>API not reachable.</li>';
  }
}

function play(r) {
  current = r.id;
  info.textContent = `${r.streamKey} · ${r.status} · ${describe(r)} · ${r.playbackUrl}`;
  if (hls) { hls.destroy(); hls = null; }
  video.poster = r.posterUrl || '';
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls();
    hls.loadSource(r.playbackUrl);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = r.playbackUrl;
    video.play().catch(() => {});
  }
  refresh();
}

refresh();
setInterval(refresh, 3000);
