// Checks of conformance/admin/run.mjs that walk many console pages: the
// language switcher on each page with axe-core in every language, and
// keyboard-only use (sign-in, registering a service).

import assert from 'node:assert/strict';
import { seriousViolations } from './axe.mjs';

// The navigation's first link in each language (templates/i18n admin_nav_services).
const kServices = { ro: 'Servicii', ru: 'Сервисы', en: 'Services' };

async function expectLanguage(page, lang, where) {
  assert.equal(await page.getAttribute('html', 'lang'), lang, `${where}: html lang`);
  if (await page.locator('.admin-nav').count()) {
    assert.equal((await page.locator('.admin-nav a').first().innerText()).trim(), kServices[lang], `${where}: navigation in ${lang}`);
  }
}

// One page: the switcher to ru, ro and back to en (the choice is then
// remembered in the cookie, as on the login pages), checking the page's
// language and running axe-core in each. Returns the violations found.
async function pageInEveryLanguage(page, name, url, screenshot) {
  const problems = [];
  await page.goto(url);
  await expectLanguage(page, 'en', name);
  for (const lang of ['ru', 'ro', 'en']) {
    await page.click(`nav.langs a[hreflang=${lang}]`);
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    await expectLanguage(page, lang, name);
    for (const v of await seriousViolations(page)) problems.push(`${name} [${lang}]: ${v}`);
    if (lang === 'ro') await screenshot(page, `${name}-ro`);
  }
  return problems;
}

// Every page of `pages` ([name, url]) through the language switcher with
// axe-core in each language. With `workers` above 1 the pages are shared
// out among that many browser contexts that carry `page`'s cookies (its
// sign-in); each context has its own cookie jar, so one page's language
// choice never reaches another's. `prepare(page)` is called on every page
// opened (the caller's console-error listeners). The waits of one page
// (navigation, the switcher) then overlap another's axe-core run.
export async function languagesAndAxe(page, pages, screenshot, { workers = 1, prepare = () => {} } = {}) {
  const problems = [];
  if (workers <= 1) {
    for (const [name, url] of pages) problems.push(...await pageInEveryLanguage(page, name, url, screenshot));
  } else {
    const storageState = await page.context().storageState();
    const viewport = page.viewportSize();
    const queue = [...pages];
    const contexts = [];
    try {
      await Promise.all(Array.from({ length: Math.min(workers, pages.length) }, async () => {
        const context = await page.context().browser().newContext({ storageState, viewport, locale: 'en-US' });
        contexts.push(context);
        const p = await context.newPage();
        prepare(p);
        for (let next = queue.shift(); next; next = queue.shift())
          problems.push(...await pageInEveryLanguage(p, next[0], next[1], screenshot));
      }));
    } finally {
      await Promise.all(contexts.map((c) => c.close().catch(() => {})));
    }
  }
  assert.deepEqual(problems.sort(), [], 'axe-core: no serious or critical violation on any console page');
}

// Moves the focus with Tab until `selector` has it; fails when the element
// cannot be reached by keyboard.
async function tabTo(page, selector, max = 150) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`keyboard: ${selector} cannot be reached with Tab`);
}

async function typeInto(page, selector, text) {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

// Sign-in and an OpenID Connect registration with the keyboard only; the
// certificate's file chooser is opened with the space bar. Returns the
// client_id registered.
export async function keyboardOnly(page, baseUrl, { user, password, certificate, redirectUri }) {
  // Playwright turns on its interception of file choosers when the first
  // listener is added, and that takes a moment: a listener added just
  // before the key press can lose the race on a loaded machine (the
  // chooser then opens natively and no event comes). Listen from the start.
  const choosers = [];
  page.on('filechooser', (c) => choosers.push(c));
  await page.goto(`${baseUrl}/admin/login`);
  assert.ok(await page.evaluate(() => document.activeElement && document.activeElement.id === 'user'),
    'the sign-in form has the focus on arrival');
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/admin\/services$/);

  await tabTo(page, 'a[href="/admin/services/new?protocol=oidc"]');
  await page.keyboard.press('Enter');
  await page.waitForURL(/protocol=oidc/);
  await typeInto(page, '#name_ro', 'Bibliotecă (tastatură)');
  await typeInto(page, '#name_ru', 'Библиотека (клавиатура)');
  await typeInto(page, '#name_en', 'Library (keyboard)');
  await typeInto(page, '#description', 'Registered with the keyboard only.');
  await typeInto(page, '#technical_contact', 'it@library.example');
  await typeInto(page, '#contract_number', 'KB-1');
  await typeInto(page, '#contract_date', '03012026');  // en-US: mm dd yyyy
  assert.equal(await page.inputValue('#contract_date'), '2026-03-01');
  await tabTo(page, '#certificate');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
  assert.equal(choosers.length, 1, 'one file chooser opened');
  await chooser.setFiles(certificate);
  await typeInto(page, '#redirect_uris', redirectUri);
  await tabTo(page, 'input[name=attributes][value=idnp]');
  await page.keyboard.press('Space');
  await tabTo(page, 'form.admin-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('text=Registered on the test environment.');
  assert.equal(await page.locator('#client-secret').count(), 1, 'the secret is shown');
  await tabTo(page, 'button.copy');  // the copy button is reachable too
  return (await page.locator('.lead code').first().innerText()).trim();
}
