// Renders Berth's OpenAPI document: every route grouped by tag, its parameters, bodies and
// responses, and a form to try it against this server.
(async function () {
  const root = document.getElementById('root');
  const res = await fetch('/api/v1/openapi.json', { credentials: 'same-origin' });
  const doc = await res.json();
  document.getElementById('version').textContent = 'v' + doc.info.version;
  const schemas = (doc.components && doc.components.schemas) || {};
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  };
  const resolve = (s) => (s && s.$ref ? schemas[s.$ref.split('/').pop()] || {} : s || {});
  const example = (s, depth) => {
    s = resolve(s);
    if (depth > 4) return null;
    if (s.example !== undefined) return s.example;
    if (s.oneOf) return example(s.oneOf[0], depth + 1);
    const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
    if (t === 'object' || s.properties) {
      const o = {};
      for (const [k, v] of Object.entries(s.properties || {})) if ((s.required || []).includes(k)) o[k] = example(v, depth + 1);
      return o;
    }
    if (t === 'array') return [];
    if (t === 'integer' || t === 'number') return 0;
    if (t === 'boolean') return false;
    if (s.enum) return s.enum[0];
    return '';
  };
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      const tag = (op.tags && op.tags[0]) || 'other';
      (byTag[tag] = byTag[tag] || []).push({ path, method, op });
    }
  }
  root.textContent = '';
  for (const t of doc.tags || Object.keys(byTag).map((name) => ({ name }))) {
    const ops = byTag[t.name];
    if (!ops) continue;
    const section = el('section', { 'data-tag': t.name }, el('h2', {}, t.name), el('p', { class: 'muted' }, t.description || ''));
    for (const { path, method, op } of ops) {
      const d = el('details', { 'data-key': (method + ' ' + path + ' ' + (op.summary || '')).toLowerCase() });
      d.append(el('summary', {}, el('span', { class: 'm ' + method }, method.toUpperCase()), el('code', {}, path), el('span', { class: 'muted' }, op.summary || '')));
      const body = el('div', { class: 'body' });
      if (op.description) body.append(el('p', {}, op.description));
      const inputs = {};
      for (const p of op.parameters || []) {
        const id = 'p-' + Math.random().toString(36).slice(2);
        inputs[p.name] = { where: p.in, input: el('input', { class: 'p', id, placeholder: p.description || '' }) };
        body.append(el('label', { for: id }, `${p.name} (${p.in})${p.required ? ' *' : ''}`), inputs[p.name].input);
      }
      let bodyInput = null;
      const rb = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      if (rb) {
        const id = 'b-' + Math.random().toString(36).slice(2);
        bodyInput = el('textarea', { id, rows: 6 });
        bodyInput.value = JSON.stringify(example(rb.schema, 0), null, 2);
        body.append(el('label', { for: id }, 'JSON body'), bodyInput);
      }
      const out = el('pre', { hidden: '' });
      const button = el('button', { type: 'button' }, 'Send');
      button.addEventListener('click', async () => {
        let url = path;
        const q = new URLSearchParams();
        for (const [name, { where, input }] of Object.entries(inputs)) {
          if (where === 'path') url = url.replace('{' + name + '}', encodeURIComponent(input.value));
          else if (input.value) q.set(name, input.value);
        }
        if ([...q].length) url += '?' + q;
        const init = { method: method.toUpperCase(), credentials: 'same-origin', headers: {} };
        if (bodyInput && bodyInput.value.trim()) { init.body = bodyInput.value; init.headers['Content-Type'] = 'application/json'; }
        out.hidden = false;
        out.textContent = '…';
        const r = await fetch(url, init);
        const text = await r.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
        out.textContent = `${r.status} ${r.statusText}  (request id ${r.headers.get('x-request-id')})\n\n${shown}`;
      });
      body.append(button, out);
      const responses = el('ul', {});
      for (const [code, r] of Object.entries(op.responses || {})) responses.append(el('li', {}, el('code', {}, code), ' ', r.description || ''));
      body.append(el('p', {}, 'Responses:'), responses);
      d.append(body);
      section.append(d);
    }
    root.append(section);
  }
  document.getElementById('filter').addEventListener('input', (e) => {
    const needle = e.target.value.toLowerCase();
    for (const d of root.querySelectorAll('details')) d.hidden = needle && !d.dataset.key.includes(needle);
  });
})();
