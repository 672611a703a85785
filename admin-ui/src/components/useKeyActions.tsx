// The state machine of the key actions, shared by the list and the detail page: which dialog is
// open, and the show-once secret. `onChanged` (a list refresh) runs only once the secret is closed.
import { useState } from 'preact/hooks';
import type { ApiKeySummary } from '../../../src/admin-console/contract.js';
import { formatDateTime } from '../lib/format.js';
import { CreateKeyDialog, EditKeyDialog, RevokeKeyDialog, RotateKeyDialog, ShowOnceDialog } from './KeyDialogs.js';
import { Notice } from './ui.js';

type Open =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'edit' | 'rotate' | 'revoke'; key: ApiKeySummary }
  | {
      kind: 'secret';
      title: string;
      plaintext: string;
      key: ApiKeySummary;
      graceUntil?: string | null;
      oldPrefix?: string;
    };

export function useKeyActions(onChanged: () => void) {
  const [open, setOpen] = useState<Open>({ kind: 'none' });
  const close = () => setOpen({ kind: 'none' });
  const closeAndRefresh = () => {
    setOpen({ kind: 'none' });
    onChanged();
  };

  let dialog: preact.JSX.Element | null = null;
  if (open.kind === 'create') {
    dialog = (
      <CreateKeyDialog
        onClose={close}
        onCreated={(r) =>
          setOpen({ kind: 'secret', title: 'Your new API key', plaintext: r.plaintext_key, key: r.key })
        }
      />
    );
  } else if (open.kind === 'edit') {
    dialog = <EditKeyDialog apiKey={open.key} onClose={close} onSaved={closeAndRefresh} />;
  } else if (open.kind === 'rotate') {
    dialog = (
      <RotateKeyDialog
        apiKey={open.key}
        onClose={close}
        onRotated={(r) =>
          setOpen({
            kind: 'secret',
            title: 'The rotated key',
            plaintext: r.plaintext_key,
            key: r.new_key,
            graceUntil: r.old_key.grace_period_until,
            oldPrefix: r.old_key.key_prefix,
          })
        }
      />
    );
  } else if (open.kind === 'revoke') {
    dialog = <RevokeKeyDialog apiKey={open.key} onClose={close} onRevoked={closeAndRefresh} />;
  } else if (open.kind === 'secret') {
    dialog = (
      <ShowOnceDialog
        title={open.title}
        plaintext={open.plaintext}
        apiKey={open.key}
        onClose={closeAndRefresh}
        extra={
          open.oldPrefix ? (
            <Notice>
              The old key <code class="mono">{open.oldPrefix}…</code>{' '}
              {open.graceUntil && Date.parse(open.graceUntil) > Date.now()
                ? `keeps working until ${formatDateTime(open.graceUntil)}.`
                : 'no longer works.'}
            </Notice>
          ) : null
        }
      />
    );
  }

  return {
    dialog,
    create: () => setOpen({ kind: 'create' }),
    edit: (key: ApiKeySummary) => setOpen({ kind: 'edit', key }),
    rotate: (key: ApiKeySummary) => setOpen({ kind: 'rotate', key }),
    revoke: (key: ApiKeySummary) => setOpen({ kind: 'revoke', key }),
  };
}
