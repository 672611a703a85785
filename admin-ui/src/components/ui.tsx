// Small building blocks every page uses, so the console looks and behaves the same everywhere.
import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { AccountStatus, ApiKeySummary, AuditOutcome } from '../../../src/admin-console/contract.js';
import { formatDate, formatDateTime, formatMoney, formatRelative, formatShortDateTime } from '../lib/format.js';

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle ? <p class="muted">{props.subtitle}</p> : null}
      </div>
      {props.actions ? <div class="page-actions">{props.actions}</div> : null}
    </div>
  );
}

export function ErrorBanner(props: { message: string | null | undefined; onRetry?: () => void }) {
  if (!props.message) return null;
  return (
    <div class="banner banner-error" role="alert">
      <span>{props.message}</span>
      {props.onRetry ? (
        <button type="button" class="button small" onClick={props.onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function Notice(props: { kind?: 'info' | 'warning' | 'success'; children: ComponentChildren }) {
  return (
    <div class={`banner banner-${props.kind ?? 'info'}`} role={props.kind === 'warning' ? 'alert' : 'status'}>
      <div>{props.children}</div>
    </div>
  );
}

export function Loading() {
  return (
    <div class="loading" role="status">
      Loading…
    </div>
  );
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty-state">
      <strong>{props.title}</strong>
      {props.children ? <div class="muted">{props.children}</div> : null}
    </div>
  );
}

export function Card(props: {
  title?: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card ${props.class ?? ''}`}>
      {props.title || props.actions ? (
        <div class="card-header">
          {props.title ? <h2>{props.title}</h2> : <span />}
          {props.actions}
        </div>
      ) : null}
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; hint?: ComponentChildren; testId?: string }) {
  return (
    <div class="stat" data-testid={props.testId}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.hint ? <div class="stat-hint muted">{props.hint}</div> : null}
    </div>
  );
}

type BadgeTone = 'green' | 'amber' | 'red' | 'grey' | 'blue';
export function Badge(props: { tone: BadgeTone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

const SOON_MS = 14 * 86_400_000;

/** A key's state as an operator reads it: active, expires soon, rotating until …, expired, revoked. */
export function KeyStatusBadge(props: { apiKey: ApiKeySummary; now?: Date }) {
  const key = props.apiKey;
  const now = props.now ?? new Date();
  if (key.status === 'revoked') return <Badge tone="red">revoked</Badge>;
  const expires = key.expires_at ? Date.parse(key.expires_at) : null;
  if (expires !== null && expires <= now.getTime()) return <Badge tone="red">expired</Badge>;
  if (key.status === 'rotating') {
    const until = key.grace_period_until;
    if (until && Date.parse(until) <= now.getTime()) return <Badge tone="red">rotated out</Badge>;
    return (
      <span class="badge-stack">
        <Badge tone="amber" title={`The old key works until ${formatDateTime(until)}`}>
          rotating
        </Badge>
        <span class="muted small">until {formatShortDateTime(until)}</span>
      </span>
    );
  }
  if (expires !== null && expires - now.getTime() < SOON_MS) {
    return (
      <Badge tone="amber" title={formatDateTime(key.expires_at)}>
        expires soon
      </Badge>
    );
  }
  return <Badge tone="green">active</Badge>;
}

export function AccountStatusBadge(props: { status: AccountStatus }) {
  const tone: BadgeTone = props.status === 'active' ? 'green' : props.status === 'suspended' ? 'amber' : 'grey';
  return <Badge tone={tone}>{props.status}</Badge>;
}

export function OutcomeBadge(props: { outcome: AuditOutcome }) {
  const tone: BadgeTone = props.outcome === 'success' ? 'green' : props.outcome === 'denied' ? 'amber' : 'red';
  return <Badge tone={tone}>{props.outcome}</Badge>;
}

export function EnvironmentBadge(props: { environment: string | null }) {
  if (!props.environment) return null;
  return <Badge tone={props.environment === 'live' ? 'blue' : 'grey'}>{props.environment}</Badge>;
}

/** A timestamp in UTC with the relative time as a tooltip (or the reverse with `relative`, or only the day). */
export function Time(props: { iso: string | null | undefined; relative?: boolean; dateOnly?: boolean }) {
  if (!props.iso) return <span class="muted">—</span>;
  if (props.dateOnly) {
    return (
      <time dateTime={props.iso} title={`${formatDateTime(props.iso)} (${formatRelative(props.iso)})`}>
        {formatDate(props.iso)}
      </time>
    );
  }
  return props.relative ? (
    <time dateTime={props.iso} title={formatDateTime(props.iso, { seconds: true })}>
      {formatRelative(props.iso)}
    </time>
  ) : (
    <time dateTime={props.iso} title={formatRelative(props.iso)}>
      {formatDateTime(props.iso)}
    </time>
  );
}

export function Money(props: { minor: number; currency: string; signed?: boolean }) {
  const text = formatMoney(props.minor, props.currency, { signed: props.signed });
  const space = text.lastIndexOf(' ');
  return (
    <span class={`money ${props.signed && props.minor < 0 ? 'negative' : ''}`}>
      {text.slice(0, space)} <span class="currency">{text.slice(space + 1)}</span>
    </span>
  );
}

export function Pager(props: {
  page: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
}) {
  if (props.page === 1 && !props.nextCursor) return null;
  return (
    <div class="pager">
      <button type="button" class="button small" disabled={props.page === 1} onClick={props.onPrevious}>
        ← Previous
      </button>
      <span class="muted">Page {props.page}</span>
      <button
        type="button"
        class="button small"
        disabled={!props.nextCursor}
        onClick={() => props.nextCursor && props.onNext(props.nextCursor)}
      >
        Next →
      </button>
    </div>
  );
}

export function Field(props: {
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <div class={`field ${props.error ? 'field-invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? <div class="field-hint muted">{props.hint}</div> : null}
      {props.error ? (
        <div class="field-error" role="alert">
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

/** Copies text to the clipboard; says "Copied" for a moment. */
export function CopyButton(props: { text: string; label?: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="button small"
      data-testid={props.testId}
      onClick={() => {
        void navigator.clipboard?.writeText(props.text).then(
          () => {
            setCopied(true);
            window.setTimeout(() => setCopied(false), 1500);
          },
          () => setCopied(false),
        );
      }}
    >
      {copied ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  );
}

export function Mono(props: { children: ComponentChildren; title?: string }): JSX.Element {
  return (
    <code class="mono" title={props.title}>
      {props.children}
    </code>
  );
}
