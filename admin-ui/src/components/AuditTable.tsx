// Audit entries with expandable rows: before/after diff, reason, IP, user agent and request id.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { AuditEntry } from '../../../src/admin-console/contract.js';
import { Link } from '../router.js';
import { EmptyState, EnvironmentBadge, Mono, OutcomeBadge, Time } from './ui.js';

export function resourceHref(entry: Pick<AuditEntry, 'resource_type' | 'resource_id'>): string | null {
  if (!entry.resource_id) return null;
  if (entry.resource_type === 'api_key') return `/keys/${entry.resource_id}`;
  if (entry.resource_type === 'account') return `/accounts/${entry.resource_id}`;
  return null;
}

/** Rows of a before/after diff: every field that appears on either side, changed ones marked. */
export function diffRows(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): { field: string; before: string; after: string; changed: boolean }[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  const show = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));
  return fields.map((field) => {
    const b = show(before?.[field]);
    const a = show(after?.[field]);
    return { field, before: b, after: a, changed: b !== a };
  });
}

export function AuditTable(props: { entries: AuditEntry[]; compact?: boolean }) {
  const [open, setOpen] = useState<string | null>(null);
  if (props.entries.length === 0) return <EmptyState title="No audit entries match." />;
  return (
    <div class="table-wrap">
      <table class="table" data-testid="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Resource</th>
            <th>Outcome</th>
            {props.compact ? null : <th>Reason</th>}
            <th aria-label="Details" />
          </tr>
        </thead>
        <tbody>
          {props.entries.map((entry) => {
            const href = resourceHref(entry);
            const expanded = open === entry.id;
            return (
              <Fragment key={entry.id}>
                <tr class={expanded ? 'expanded' : ''}>
                  <td class="nowrap">
                    <Time iso={entry.created_at} />
                  </td>
                  <td>
                    <span class="muted small">{entry.actor.type.replace('_', ' ')}</span> {entry.actor.label}
                  </td>
                  <td>
                    <Mono>{entry.action}</Mono> <EnvironmentBadge environment={entry.environment} />
                  </td>
                  <td>
                    {entry.resource_type ? (
                      <span class="muted small">{entry.resource_type.replace('_', ' ')} </span>
                    ) : null}
                    {href ? (
                      <Link href={href}>{entry.resource_id?.slice(0, 8)}</Link>
                    ) : (
                      (entry.resource_id?.slice(0, 8) ?? '—')
                    )}
                  </td>
                  <td>
                    <OutcomeBadge outcome={entry.outcome} />
                  </td>
                  {props.compact ? null : <td class="clip">{entry.reason ?? ''}</td>}
                  <td>
                    <button
                      type="button"
                      class="button small ghost"
                      aria-expanded={expanded}
                      onClick={() => setOpen(expanded ? null : entry.id)}
                    >
                      {expanded ? 'Hide' : 'Details'}
                    </button>
                  </td>
                </tr>
                {expanded ? (
                  <tr class="detail-row">
                    <td colSpan={props.compact ? 6 : 7}>
                      <AuditDetail entry={entry} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function AuditDetail(props: { entry: AuditEntry }) {
  const e = props.entry;
  const rows = diffRows(e.before, e.after);
  return (
    <div class="audit-detail" data-testid="audit-detail">
      <dl class="kv">
        <dt>Reason</dt>
        <dd>{e.reason ?? '—'}</dd>
        <dt>IP</dt>
        <dd>{e.ip ?? '—'}</dd>
        <dt>Request id</dt>
        <dd>{e.request_id ? <Mono>{e.request_id}</Mono> : '—'}</dd>
        <dt>User agent</dt>
        <dd class="clip">{e.user_agent ?? '—'}</dd>
        <dt>Resource id</dt>
        <dd>{e.resource_id ? <Mono>{e.resource_id}</Mono> : '—'}</dd>
      </dl>
      {rows.length > 0 ? (
        <table class="table compact diff">
          <thead>
            <tr>
              <th>Field</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.field} class={row.changed ? 'changed' : ''}>
                <td>
                  <Mono>{row.field}</Mono>
                </td>
                <td class="diff-before">{row.before}</td>
                <td class="diff-after">{row.after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No before/after values recorded.</p>
      )}
    </div>
  );
}
