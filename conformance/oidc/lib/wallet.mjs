// The certME side of a journey that logs in with the wallet instead of the
// development login: an embedded ledger with an authorized validator, one
// user enrolled in the reference wallet (`certme wallet …`), and the person
// at the bridge's wallet login page who opens the same-device link with
// that wallet (`certme wallet approve LINK --yes`) and then presses
// "continue" (docs/wallet-protocol.md, the login page's endpoints).

import assert from 'node:assert/strict';
import path from 'node:path';
import { findTags, forms } from './html.mjs';
import { run, runOk } from './child.mjs';

// The process environment less every CERTME_* variable, plus `extra`.
export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CERTME_')));
  return { ...env, ...extra };
}

// A fresh embedded ledger in `work`, the validator's key made and
// authorized, a wallet at `work`/wallet.json holding an enrolled eID with
// `attrs` (["first_name=Ion", …]). Returns the CERTME_* settings every
// certme process of the run shares (ledger, validator key, wallet
// passphrase), the wallet file and the user's address.
export async function enrolledUser({ certme, work, attrs, extraEnv = {} }) {
  const env = {
    CERTME_WALLET_PASSPHRASE: 'correct horse battery staple',
    CERTME_LEDGER_BACKEND: 'embedded',
    CERTME_LEDGER_EMBEDDED_PATH: path.join(work, 'ledger.db'),
    CERTME_LEDGER_EMBEDDED_SYNC_FULL: 'false',
    CERTME_LEDGER_ADMIN_KEY_FILE: path.join(work, 'keys', 'admin.key'),
    CERTME_LEDGER_EMBEDDED_SEQUENCER_KEY_FILE: path.join(work, 'keys', 'sequencer.key'),
    CERTME_LEDGER_VALIDATOR_KEY_FILE: path.join(work, 'keys', 'validator.key'),
    ...extraEnv,
  };
  const certmeOk = (argv) => runOk(certme, argv, { cwd: work, env: cleanEnv(env) });
  const walletFile = path.join(work, 'wallet.json');
  await certmeOk(['ledger', 'init']);
  const validator = await certmeOk(['ledger', 'keygen', '--out', env.CERTME_LEDGER_VALIDATOR_KEY_FILE]);
  await certmeOk(['admin', 'authorize-validator', validator]);
  const address = await certmeOk(['wallet', 'create', '--wallet', walletFile]);
  const enrollment = path.join(work, 'enrollment.json');
  const consent = path.join(work, 'enrolment.sig');
  await certmeOk(['validator', 'enroll', '--user', address, ...attrs.flatMap((a) => ['--attr', a]), '--out', enrollment]);
  await certmeOk(['wallet', 'approve-enrolment', enrollment, '--wallet', walletFile, '--out', consent]);
  await certmeOk(['validator', 'issue', enrollment, '--consent', consent]);
  await certmeOk(['wallet', 'import', enrollment, '--wallet', walletFile]);
  return { env, walletFile, address };
}

// The bridge's wallet login page: the same-device link and the "continue"
// form (a GET carrying the login's txn), or null for any other page.
export function walletLoginPage(res) {
  if (res.url.pathname !== '/login/wallet') return null;
  const link = findTags(res.body, 'a').find((a) => a.attrs.id === 'deeplink')?.attrs.href;
  const next = forms(res.body).find((f) => f.method === 'get' && f.hidden.txn);
  if (!link || !next) return null;
  return { link, txn: next.hidden.txn, continueUrl: new URL(`${next.action}?${new URLSearchParams(next.hidden)}`, res.url) };
}

// "Log in with the wallet": a Browser `login` hook (lib/browser.mjs). On
// the wallet login page it has the wallet approve the page's link, then
// follows the page's continue button; `answered` counts the approvals.
// `cacert`: the CA the wallet trusts for the bridge's https URL.
export function walletLogin({ certme, env, cwd, walletFile, cacert }) {
  const login = async (res) => {
    const page = walletLoginPage(res);
    if (!page) return null;
    assert.match(page.link, /\/wallet\/v1\/l\/[A-Za-z0-9_-]+$/, `the same-device link ${page.link}`);
    const argv = ['wallet', 'approve', page.link, '--yes', '--wallet', walletFile];
    if (cacert) argv.push('--cacert', cacert);
    const answer = await run(certme, argv, { cwd, env: cleanEnv(env) });
    assert.equal(answer.code, 0, `certme wallet approve: ${answer.stderr || answer.stdout}`);
    login.answered += 1;
    return { url: page.continueUrl };
  };
  login.answered = 0;
  return login;
}
