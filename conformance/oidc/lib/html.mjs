// Just enough HTML reading to act like a browser on the bridge's own pages:
// forms, inputs, iframes and meta refreshes. The pages under test are small
// and server-generated, so attribute-level regexes are sufficient; anything
// the helpers cannot find is reported as a test failure, never guessed.

const kEntities = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

export function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X'
        ? parseInt(name.slice(2), 16)
        : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return kEntities[name.toLowerCase()] ?? whole;
  });
}

// Attributes of one start tag, names lower-cased, values entity-decoded.
export function parseAttributes(tag) {
  const attrs = {};
  const body = tag.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  const re = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(body)) !== null) {
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    attrs[m[1].toLowerCase()] = decodeEntities(value);
  }
  return attrs;
}

export function findTags(html, name) {
  const re = new RegExp(`<${name}\\b[^>]*>`, 'gi');
  return [...html.matchAll(re)].map((m) => ({ raw: m[0], index: m.index, attrs: parseAttributes(m[0]) }));
}

export function title(html) {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? decodeEntities(m[1]).trim() : '';
}

// Every <form> with its action, method and the controls inside it.
export function forms(html) {
  const result = [];
  const re = /<form\b[^>]*>([\s\S]*?)<\/form>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    const open = /^<form\b[^>]*>/i.exec(m[0])[0];
    const attrs = parseAttributes(open);
    const inner = m[1];
    const inputs = findTags(inner, 'input').map((t) => t.attrs);
    const buttons = findTags(inner, 'button').map((t) => t.attrs);
    result.push({
      action: attrs.action ?? '',
      method: (attrs.method ?? 'get').toLowerCase(),
      inputs,
      buttons,
      hidden: Object.fromEntries(
        inputs.filter((i) => (i.type ?? '').toLowerCase() === 'hidden' && i.name)
          .map((i) => [i.name, i.value ?? ''])),
      radios: (name) => inputs
        .filter((i) => (i.type ?? '').toLowerCase() === 'radio' && i.name === name)
        .map((i) => i.value ?? ''),
    });
  }
  return result;
}

export function iframeSources(html) {
  return findTags(html, 'iframe').map((t) => t.attrs.src).filter(Boolean);
}

// URLs a page sends the browser on to by itself: <meta http-equiv=refresh>,
// and any absolute http(s) URL that appears in an href, src-less anchor or
// inline script. Used for pages that hand over after front-channel logout.
export function onwardUrls(html) {
  const urls = [];
  for (const meta of findTags(html, 'meta')) {
    if ((meta.attrs['http-equiv'] ?? '').toLowerCase() === 'refresh') {
      const m = /url\s*=\s*['"]?([^'"]+)/i.exec(meta.attrs.content ?? '');
      if (m) urls.push(m[1].trim());
    }
  }
  for (const a of findTags(html, 'a')) {
    if (a.attrs.href) urls.push(a.attrs.href);
  }
  for (const m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)) {
    for (const u of m[1].matchAll(/["'](https?:\/\/[^"']+)["']/g)) {
      urls.push(u[1].replace(/\\\//g, '/').replace(/\\u0026/gi, '&'));
    }
  }
  for (const form of forms(html)) {
    if (form.action && form.method === 'get') urls.push(form.action);
  }
  return urls.map(decodeEntities);
}
