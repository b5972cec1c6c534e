// Ledger backend of a journey run: the embedded ledger (a file in the run's
// work folder). A backend module exports
//
//   async start({ certme, work, run }) → { env, stop() }
//
// `env` is the configuration fragment (CERTME_LEDGER_* variables) given to
// every `certme` process of the run — bridge, validator service, admin,
// validator and wallet commands; `start` creates an empty registry whose
// administrator key is at CERTME_LEDGER_ADMIN_KEY_FILE; `stop` ends whatever
// `start` started. Another backend (a chain) is another module with the
// same shape, passed with `--ledger`.

import path from 'node:path';

export async function start({ certme, work, run }) {
  const env = {
    CERTME_LEDGER_BACKEND: 'embedded',
    CERTME_LEDGER_EMBEDDED_PATH: path.join(work, 'ledger.db'),
    // The run's ledger is thrown away afterwards; no fsync per entry.
    CERTME_LEDGER_EMBEDDED_SYNC_FULL: 'false',
    CERTME_LEDGER_ADMIN_KEY_FILE: path.join(work, 'keys', 'admin.key'),
    // Signs every entry and the log's anchor; `ledger init` creates it.
    CERTME_LEDGER_EMBEDDED_SEQUENCER_KEY_FILE: path.join(work, 'keys', 'sequencer.key'),
  };
  run(certme, ['ledger', 'init'], env);
  return { env, stop: async () => {} };
}
