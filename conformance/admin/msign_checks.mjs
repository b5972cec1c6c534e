// MSign registration in the console (conformance/admin/run.mjs): an OpenID
// Connect service registered for MSign (signing) beside MPass (login) with
// private_key_jwt; a CIDR block with host bits set is refused next to its
// field with the block meant, the corrected form registers, and the
// service's page lists the settings.

import assert from 'node:assert/strict';

export async function registerMsign(page, baseUrl, { certificate, redirectUri, screenshot }) {
  await page.goto(`${baseUrl}/admin/services/new?protocol=oidc`);
  await page.fill('#name_ro', 'Semnare contracte');
  await page.fill('#name_ru', 'Подпись договоров');
  await page.fill('#name_en', 'Contract signing');
  await page.fill('#description', 'Signs rental contracts.');
  await page.fill('#technical_contact', 'it@signing.example.md');
  await page.fill('#contract_number', 'MP-2026/SIGN');
  await page.fill('#contract_date', '2026-03-01');
  await page.check('input[name=attributes][value=idnp]');
  await page.fill('#redirect_uris', redirectUri);
  await page.selectOption('#token_endpoint_auth_method', 'private_key_jwt');
  assert.ok(await page.isChecked('#msign-services input[disabled]'), 'MPass (login) is always on');
  await page.check('#msign');
  await page.fill('#msign_contract_number', 'MS-2026/4');
  await page.fill('#msign_contract_date', '2026-04-01');
  await page.fill('#msign_ip_allow', '192.0.2.10\n198.51.100.7/24');
  await page.selectOption('#msign_signer_types', 'both');
  await page.setInputFiles('#certificate', certificate);
  await page.click('button:has-text("Register on test")');
  assert.match(await page.locator('#msign_ip_allow ~ .field-error').innerText(),
    /host bits are set after the prefix; the block is 198\.51\.100\.0\/24/);
  assert.ok(await page.isChecked('#msign'), 'MSign stays ticked');
  await page.fill('#msign_ip_allow', '192.0.2.10\n198.51.100.0/24\n2001:db8:10::/48');
  await page.setInputFiles('#certificate', certificate);  // files are not kept across a refused form
  await page.click('button:has-text("Register on test")');
  await page.waitForSelector('text=Registered on the test environment.');
  assert.equal(await page.locator('#client-secret').count(), 0, 'private_key_jwt: no secret');
  const text = await page.locator('main').innerText();
  for (const part of ['MSign (signing)', 'contract MS-2026/4 of 2026-04-01', '192.0.2.10', '198.51.100.0/24',
    '2001:db8:10::/48', 'natural or legal person'])
    assert.ok(text.includes(part), `the service's page shows ${part}`);
  await screenshot(page, 'msign-registered');
  const id = new URL(page.url()).pathname.split('/').pop();
  await page.goto(`${baseUrl}/admin/services?msign=yes`);
  assert.deepEqual(await page.locator('table.services tbody tr code').allInnerTexts(), [id], 'the MSign filter');
  return id;
}
